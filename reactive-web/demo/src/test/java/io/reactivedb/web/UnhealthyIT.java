package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.migrations.MigrationRunner;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.testing.Await;
import io.reactivedb.testing.FaultProxy;
import io.reactivedb.web.autoconfigure.MigrationStatusCache;
import io.reactivedb.web.autoconfigure.QueryStatistics;
import io.reactivedb.web.autoconfigure.ReactiveDbProperties;
import io.reactivedb.web.health.DatabaseHealthController;
import io.reactivedb.web.health.HealthAccess;
import io.reactivedb.web.health.ReactiveDbHealthIndicator;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.scheduler.Schedulers;

/**
 * 503 when no writable primary is left: a router of its own whose primary is reached through a
 * fault proxy that then drops every packet (the shared cluster stays untouched), served by the
 * real health controller, and the readiness indicator going DOWN.
 */
class UnhealthyIT extends WebIT {

    @Test
    void healthIs503AndReadinessDownWhenThePrimaryIsUnreachable() {
        EndpointSettings real = cluster().settings().primary();
        try (FaultProxy proxy = FaultProxy.start(real.host(), real.port())) {
            ReactiveDbSettings settings = ReactiveDbSettings.builder()
                    .primary(real.toBuilder().port(proxy.port()).build())
                    .build();
            ReactiveDbRouter router = ReactiveDbRouter.builder(settings)
                    .health(HealthSettings.builder().interval(Duration.ofMillis(300)).probeTimeout(Duration.ofMillis(250)).build())
                    .build();
            try {
                ReactiveDbProperties properties = new ReactiveDbProperties();
                properties.getWeb().setHealthDetails(ReactiveDbProperties.HealthDetails.ALWAYS);
                WebTestClient local = WebTestClient.bindToController(new DatabaseHealthController(router,
                                new QueryStatistics(new SimpleMeterRegistry()),
                                new MigrationStatusCache(MigrationRunner.create(cluster().settings()), Duration.ofMinutes(1), Schedulers.parallel()),
                                new HealthAccess(properties), properties, Schedulers.parallel()))
                        .configureClient().responseTimeout(WAIT).build();
                ReactiveDbHealthIndicator indicator = new ReactiveDbHealthIndicator(router, Duration.ofSeconds(5));

                Await.until("the first healthy round", WAIT, () -> router.health().orElseThrow().current()
                        .map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));
                local.get().uri("/health/database").exchange().expectStatus().isOk()
                        .expectBody().jsonPath("$.status").isEqualTo("HEALTHY");
                assertThat(indicator.health().block(WAIT).getStatus()).isEqualTo(Status.UP);

                proxy.blackhole();
                Await.until("the router to find no writable primary", WAIT, () -> router.health().orElseThrow().current()
                        .map(h -> h.status() == HealthStatus.UNHEALTHY).orElse(false));
                local.get().uri("/health/database").exchange()
                        .expectStatus().isEqualTo(503)
                        .expectBody()
                        .jsonPath("$.status").isEqualTo("UNHEALTHY")
                        .jsonPath("$.endpoints[0].reachable").isEqualTo(false)
                        .jsonPath("$.endpoints[0].error").exists();
                assertThat(indicator.health().block(WAIT).getStatus()).isEqualTo(Status.DOWN);
            } finally {
                router.shutdown(Duration.ofSeconds(2)).block(WAIT);
            }
        }
    }
}
