package io.reactivedb.security;

import io.reactivedb.routing.RouterBuilder;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.metrics.ReactiveDbMetrics;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.testing.Await;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * A canary password goes through a real workload (queries on the primary and replicas, health
 * probes, metrics), then through an authentication failure, a refused connection, connections
 * killed under the pool (validation on acquire fails) and a malformed URL. Every log line of every
 * logger at DEBUG, every exception with its whole cause and suppressed chain, every health snapshot
 * and event, every meter and the Prometheus scrape are collected: the canary appears in none of
 * them, neither verbatim nor percent-encoded.
 */
@DevClusterTest
class SecretCanaryIT {

    /** Contains {@code @ : / %}, so the URL must percent-encode it. */
    private static final String CANARY = "Canary-7Qx@z:/%w9";
    private static final String ENCODED = URLEncoder.encode(CANARY, StandardCharsets.UTF_8);
    private static final String USER = "canary_user";
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<String> exceptions = new ArrayList<>();
    private final List<String> healthOutput = new CopyOnWriteArrayList<>();
    private final List<String> scrapes = new ArrayList<>();
    private final List<String> meters = new ArrayList<>();

    @Test
    void theCanaryAppearsNowhere(DevCluster cluster) {
        DevNode primary = cluster.primary();
        cluster.psql(primary, "postgres", "DROP ROLE IF EXISTS " + USER + "; CREATE ROLE " + USER + " LOGIN PASSWORD '"
                + CANARY.replace("'", "''") + "'; GRANT CONNECT ON DATABASE " + cluster.database() + " TO " + USER);

        LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        Map<Logger, Level> levels = new HashMap<>();
        List<Appender<ILoggingEvent>> rootAppenders = new ArrayList<>();
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            rootAppenders.add(it.next());
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            // Everything at DEBUG into the list only (the console would drown in it).
            rootAppenders.forEach(root::detachAppender);
            root.addAppender(captured);
            for (Logger logger : logging.getLoggerList()) {
                levels.put(logger, logger.getLevel());
                logger.setLevel(Level.DEBUG);
            }

            ReactiveDbSettings settings = EnvironmentSettings.parse(environment(cluster));
            LoggerFactory.getLogger(SecretCanaryIT.class).info("Routing with {}", settings);

            workload(cluster, settings, registry);
            authenticationFailure(cluster, settings);
            refusedConnection(settings);
            malformedUrl(cluster);
            scrapes.add(registry.scrape());
        } finally {
            levels.forEach(Logger::setLevel);
            root.detachAppender(captured);
            rootAppenders.forEach(root::addAppender);
            registry.close();
            cluster.psql(primary, "postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + USER + "'");
        }

        List<String> logLines = captured.list.stream().map(SecretCanaryIT::render).collect(Collectors.toList());
        // The collection is real: DEBUG lines of the driver and the library, the failures, the scrape.
        assertThat(captured.list).anyMatch(e -> e.getLevel() == Level.DEBUG && e.getLoggerName().startsWith("io.r2dbc.postgresql"));
        assertThat(captured.list).anyMatch(e -> e.getLoggerName().startsWith("io.reactivedb"));
        assertThat(String.join("\n", exceptions)).contains("28P01").contains("Connection refused").contains("DATABASE_URL");
        assertThat(scrapes.get(0)).contains("reactivedb_query_seconds").contains("endpoint=\"replica-1\"");
        assertThat(healthOutput).anyMatch(text -> text.contains("primary"));

        Map<String, List<String>> everything = new LinkedHashMap<>();
        everything.put("log lines", logLines);
        everything.put("exceptions", exceptions);
        everything.put("health snapshots and events", healthOutput);
        everything.put("meters", meters);
        everything.put("prometheus scrapes", scrapes);
        everything.forEach((what, texts) -> {
            assertThat(texts).as(what).isNotEmpty();
            for (String text : texts) {
                assertThat(text).as(what).doesNotContain(CANARY).doesNotContain(ENCODED);
            }
        });
    }

    /** {@code DATABASE_URL} and replica URLs carrying the canary, health probes logging in with it. */
    private static Map<String, String> environment(DevCluster cluster) {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", url(cluster.primary().port(), cluster.database()));
        env.put("DB_READ_REPLICA_URLS", cluster.replicas().stream().map(r -> url(r.port(), cluster.database()))
                .collect(Collectors.joining(",")));
        env.put("DB_HEALTH_USER", USER);
        env.put("DB_HEALTH_PASSWORD", CANARY);
        env.put("DB_POOL_VALIDATION_QUERY", "SELECT 1");
        env.put("DB_POOL_SIZE", "4");
        env.put("DB_APPLICATION_NAME", "canary");
        return env;
    }

    private static String url(int port, String database) {
        return "postgresql://" + USER + ":" + ENCODED + "@" + DevCluster.HOST + ":" + port + "/" + database;
    }

    private void workload(DevCluster cluster, ReactiveDbSettings settings, PrometheusMeterRegistry registry) {
        ReactiveDbMetrics metrics = new ReactiveDbMetrics(registry);
        ReactiveDbRouter router = router(settings).queryListener(metrics).build();
        metrics.bindTo(router);
        Disposable events = router.health().orElseThrow().events().subscribe(event -> healthOutput.add(event.toString()));
        try {
            Await.until("every endpoint reachable for the canary's probes", WAIT, () -> router.health().orElseThrow().current()
                    .map(snapshot -> snapshot.endpoints().stream().allMatch(e -> e.reachable() && e.error().isEmpty())).orElse(false));
            Flux.range(0, 20).concatMap(i -> router.read(s -> s.query("SELECT $1::int", row -> row.get(0, Integer.class), i))
                    .concatWith(router.write(s -> s.query("SELECT $1::text", row -> row.get(0, String.class), "w" + i).map(String::length))))
                    .blockLast(WAIT);
            router.health().orElseThrow().current().ifPresent(snapshot -> healthOutput.add(snapshot.toString()));
            // Validation failure: every server closes the canary's sessions; acquires must replace them.
            for (DevNode node : cluster.nodes()) {
                cluster.psql(node, "postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '" + USER + "'");
            }
            Flux.range(0, 20).concatMap(i -> router.read(s -> s.query("SELECT 1", row -> row.get(0, Integer.class)))
                    .onErrorResume(ReactiveDbException.class, e -> {
                        exceptions.add(render(e));
                        return Flux.empty();
                    })).blockLast(WAIT);
            router.health().orElseThrow().current().ifPresent(snapshot -> healthOutput.add(snapshot.toString()));
            // Meters go away with the router: scrape while it runs.
            scrapes.add(registry.scrape());
            registry.getMeters().forEach(meter -> meters.add(meter.getId().toString()));
        } finally {
            events.dispose();
            router.shutdown().block(WAIT);
        }
    }

    /** The right user with the canary as a wrong password: {@code 28P01}, for traffic and probes. */
    private void authenticationFailure(DevCluster cluster, ReactiveDbSettings settings) {
        ReactiveDbSettings wrong = settings.toBuilder().replicas(List.of())
                .primary(settings.primary().toBuilder().username(cluster.appUser()).build()).build();
        ReactiveDbRouter router = router(wrong).build();
        Disposable events = router.health().orElseThrow().events().subscribe(event -> healthOutput.add(event.toString()));
        try {
            try {
                router.write(s -> s.execute("SELECT 1")).blockLast(WAIT);
            } catch (RuntimeException e) {
                exceptions.add(render(e));
            }
            // The monitor's first round starts with the router; the failed write asks for another soon.
            Await.until("a probe round", WAIT, () -> router.health().orElseThrow().current().isPresent());
            router.health().orElseThrow().current().ifPresent(snapshot -> healthOutput.add(snapshot.toString()));
        } finally {
            events.dispose();
            router.shutdown().block(WAIT);
        }
    }

    /** Nothing listens on the port: the connection is refused before any login. */
    private void refusedConnection(ReactiveDbSettings settings) {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(DevCluster.HOST))) {
            closedPort = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ReactiveDbSettings refused = settings.toBuilder().replicas(List.of())
                .primary(settings.primary().toBuilder().port(closedPort).build()).build();
        ReactiveDbRouter router = router(refused).build();
        try {
            router.read(s -> s.execute("SELECT 1")).blockLast(WAIT);
        } catch (RuntimeException e) {
            exceptions.add(render(e));
        } finally {
            router.shutdown().block(WAIT);
        }
    }

    /** A URL the parser rejects, with the canary in clear in its user information. */
    private void malformedUrl(DevCluster cluster) {
        for (String url : List.of("postgresql://" + USER + ":" + CANARY + "@" + DevCluster.HOST + ":notaport/app",
                "postgresql://" + USER + ":" + ENCODED + "@" + DevCluster.HOST + ":" + cluster.primary().port() + "/app?sslmode=sometimes")) {
            try {
                EnvironmentSettings.parse(Map.of("DATABASE_URL", url));
            } catch (ConfigurationException e) {
                exceptions.add(render(e));
            }
        }
    }

    private static RouterBuilder router(ReactiveDbSettings settings) {
        return ReactiveDbRouter.builder(settings)
                .health(HealthSettings.builder().interval(Duration.ofSeconds(2)).probeTimeout(Duration.ofSeconds(2)).build());
    }

    /** Message, {@code toString} and the whole stack trace with causes and suppressed exceptions. */
    private static String render(Throwable error) {
        StringWriter text = new StringWriter();
        text.append(String.valueOf(error.getMessage())).append('\n').append(error.toString()).append('\n');
        error.printStackTrace(new PrintWriter(text));
        return text.toString();
    }

    /** The formatted line, its arguments, MDC and any attached throwable. */
    private static String render(ILoggingEvent event) {
        StringBuilder text = new StringBuilder(event.getLoggerName()).append(' ').append(event.getFormattedMessage());
        if (event.getArgumentArray() != null) {
            for (Object argument : event.getArgumentArray()) {
                text.append(" | ").append(argument);
            }
        }
        text.append(' ').append(event.getMDCPropertyMap());
        if (event.getThrowableProxy() != null) {
            text.append('\n').append(ThrowableProxyUtil.asString(event.getThrowableProxy()));
        }
        return text.toString();
    }
}
