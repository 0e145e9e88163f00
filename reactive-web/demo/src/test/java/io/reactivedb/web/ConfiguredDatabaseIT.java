package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.web.autoconfigure.ReactiveDbAutoConfiguration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import java.time.Duration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The application on a configured database (the shared cluster, given through
 * {@code reactive-db.*} properties: no dev-services start), with the admin surface off, in
 * production mode; and the startup checks that refuse bad settings.
 */
class ConfiguredDatabaseIT extends WebIT {

    private List<String> properties(String... extra) {
        DevCluster cluster = cluster();
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--spring.main.banner-mode=off",
                "--reactive-db.url=" + cluster.databaseUrl(cluster.primary()),
                "--reactive-db.password=" + cluster.appPassword().reveal(),
                "--reactive-db.read-replica-urls=" + cluster.replicas().stream().map(cluster::databaseUrl).collect(Collectors.joining(",")),
                "--reactive-db.session.application-name=configured-it",
                "--reactive-db.pool.min=0"));
        args.addAll(List.of(extra));
        return args;
    }

    private ConfigurableApplicationContext start(List<String> args) {
        return new SpringApplicationBuilder(ReactiveDbApplication.class).run(args.toArray(String[]::new));
    }

    @Test
    void aConfiguredDatabaseIsUsedAsIsAndTheAdminSurfaceIsOffUnlessEnabled() {
        try (ConfigurableApplicationContext context = start(properties())) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            WebTestClient web = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(WAIT).build();

            web.get().uri("/api/database/ping").exchange().expectStatus().isOk()
                    .expectBody().jsonPath("$.write.serverPort").isEqualTo(cluster().primary().port());
            // Off: the admin operations do not exist.
            web.post().uri("/api/database/test?endpoint=primary").exchange().expectStatus().isNotFound();
            web.post().uri("/api/database/reconnect").exchange().expectStatus().isNotFound();
            // Read-only diagnostics need a user, and there is none.
            web.get().uri("/api/database/info").exchange().expectStatus().isUnauthorized();
            web.get().uri("/api/database/info").headers(WebIT::admin).exchange().expectStatus().isUnauthorized();
            web.get().uri("/health/database").exchange().expectStatus().isOk()
                    .expectBody(String.class).value(body -> assertThat(body).isEqualTo("{\"status\":\"HEALTHY\"}"));
            assertThat(context.getBean(io.reactivedb.web.autoconfigure.EmbeddedDatabase.class).isEmbedded()).isFalse();
            assertThat(context.getBean(io.reactivedb.web.autoconfigure.ReactiveDbAutoConfiguration.ResolvedDatabase.class).production()).isTrue();
        }
    }

    @Test
    void configuredBackupsJoinTheHealthReportAndTheLibrarysProductionChecksAreOn(@TempDir Path backups) {
        try (ConfigurableApplicationContext context = start(properties("--reactive-db.backup.dir=" + backups,
                "--reactive-db.web.health-details=always"))) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            WebTestClient web = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(WAIT).build();
            // No verified backup in the folder yet: the backup component is DEGRADED, and so is the status.
            // Components are checked in each probe round: wait (bounded) for the first round that has it.
            assertThat(healthOnceItContains(web, "\"backup\"")).as("health report within %s", WAIT).contains("\"backup\"");
            web.get().uri("/health/database").exchange()
                    .expectStatus().isOk()
                    .expectBody()
                    .jsonPath("$.status").isEqualTo("DEGRADED")
                    .jsonPath("$.components.backup.status").isEqualTo("DEGRADED")
                    .jsonPath("$.components.backup.details.backups").isEqualTo(0);
            ReactiveDbAutoConfiguration.ResolvedDatabase resolved = context.getBean(ReactiveDbAutoConfiguration.ResolvedDatabase.class);
            assertThat(resolved.settings().productionMode()).isTrue();
            assertThat(resolved.migrationSettings().replicas()).isEmpty();
        }
    }

    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aCanaryPasswordAppearsInNoLogLineResponseBodyOrScrape(CapturedOutput output) {
        // A replica configured with a wrong password, the canary: its logins, probes and reads fail
        // (authentication failure), with DEBUG logging of the library and the driver on.
        String canary = "Cn4ry-Pw-7Qx9Vb2";
        DevCluster cluster = cluster();
        List<String> args = List.of(
                "--server.port=0",
                "--spring.main.banner-mode=off",
                "--reactive-db.url=" + cluster.databaseUrl(cluster.primary()),
                "--reactive-db.password=" + cluster.appPassword().reveal(),
                "--reactive-db.read-replica-urls=postgresql://" + cluster.appUser() + ":" + canary + "@127.0.0.1:"
                        + cluster.replicas().get(0).port() + "/" + cluster.database(),
                "--reactive-db.session.application-name=canary-it",
                "--reactive-db.pool.min=0",
                "--reactive-db.web.health-details=always",
                "--reactive-db.web.read-endpoints=public",
                "--logging.level.io.reactivedb=DEBUG",
                "--logging.level.io.r2dbc=DEBUG");
        List<String> bodies = new ArrayList<>();
        try (ConfigurableApplicationContext context = start(args)) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            WebTestClient web = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(WAIT).build();
            String health = healthOnceItContains(web, "\"reachable\":false");
            assertThat(health).as("replica-1 reported unreachable (its login fails)").contains("\"reachable\":false");
            bodies.add(health);
            for (String uri : List.of("/api/database/info", "/api/database/endpoints", "/actuator/prometheus",
                    "/api/database/diagnostics/sizes?endpoint=replica-1", "/api/accounts/1", "/health/database/stream")) {
                if (uri.endsWith("/stream")) {
                    bodies.add(String.join("\n", web.get().uri(uri).exchange().returnResult(String.class).getResponseBody()
                            .take(1).collectList().block(WAIT)));
                } else {
                    bodies.add(String.valueOf(web.get().uri(uri).exchange().expectBody(String.class).returnResult().getResponseBody()));
                }
            }
        }
        assertThat(bodies).hasSize(7).allSatisfy(body -> assertThat(body).isNotBlank().doesNotContain(canary));
        assertThat(bodies.get(4)).as("the failed diagnostic's body: a problem, no detail of the login").contains("\"status\":503");
        // The capture did see the DEBUG traffic and the failed logins, and never the password.
        assertThat(output.getAll()).contains("DEBUG").contains("replica-1").doesNotContain(canary);
    }

    @Test
    void productionModeRefusesAnAdminUserWithoutAPassword() {
        assertThatThrownBy(() -> start(properties("--reactive-db.admin.enabled=true")).close())
                .satisfies(error -> assertThat(rootCause(error)).isInstanceOf(ConfigurationException.class)
                        .hasMessageContaining("reactive-db.admin.password")
                        .hasMessageContaining("production mode"))
                .satisfies(error -> assertThat(messages(error)).doesNotContain(cluster().appPassword().reveal()));
    }

    @Test
    void anInvalidPropertyStopsTheStartNamingIt() {
        assertThatThrownBy(() -> start(properties("--reactive-db.pool.size=0")).close())
                .satisfies(error -> assertThat(rootCause(error)).asInstanceOf(InstanceOfAssertFactories.type(ConfigurationException.class))
                        .extracting(ConfigurationException::setting).isEqualTo("reactive-db.pool.size (DB_POOL_SIZE)"))
                .satisfies(error -> assertThat(messages(error)).doesNotContain(cluster().appPassword().reveal()));
    }

    /** The {@code /health/database} body once it contains {@code fragment}, or the last one after {@link #WAIT}. */
    private static String healthOnceItContains(WebTestClient web, String fragment) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String body = String.valueOf(web.get().uri("/health/database").exchange().expectBody(String.class).returnResult().getResponseBody());
        while (!body.contains(fragment) && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            body = String.valueOf(web.get().uri("/health/database").exchange().expectBody(String.class).returnResult().getResponseBody());
        }
        return body;
    }

    /** The outermost ConfigurationException in the chain (Spring wraps it in bean creation errors). */
    private static Throwable rootCause(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConfigurationException) {
                return t;
            }
        }
        return error;
    }

    private static String messages(Throwable error) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            all.append(t).append('\n');
        }
        return all.toString();
    }
}
