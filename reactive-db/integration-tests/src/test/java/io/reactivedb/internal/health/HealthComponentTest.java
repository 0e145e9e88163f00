package io.reactivedb.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.health.ComponentHealth;
import io.reactivedb.health.HealthComponent;
import io.reactivedb.health.HealthEvent;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.health.Lsn;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/** Health components in the probe round, on virtual time. */
class HealthComponentTest {

    private static final Duration INTERVAL = Duration.ofSeconds(5);

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final HealthSettings settings = HealthSettings.builder().interval(INTERVAL).probeTimeout(Duration.ofSeconds(1))
            .failuresBeforeDown(1).build();
    private final AtomicReference<Mono<ComponentHealth>> next = new AtomicReference<>(Mono.just(ComponentHealth.up(Map.of("age", "PT1H"))));
    private final HealthComponent component = new HealthComponent() {
        @Override
        public String name() {
            return "backup";
        }

        @Override
        public Mono<ComponentHealth> check() {
            return next.get();
        }
    };
    private final List<HealthSnapshot> applied = new ArrayList<>();
    private final HealthMonitor monitor = new HealthMonitor(List.of(
            new HealthMonitor.Target("primary", EndpointRole.PRIMARY, probe(), () -> new PoolStatistics(0, 1, 0, 1, 10, 0))),
            List.of(component), Optional.of("primary"), settings, time, applied::add, name -> false);

    private static EndpointProbe probe() {
        return new EndpointProbe() {
            @Override
            public String endpoint() {
                return "primary";
            }

            @Override
            public Mono<ProbeResult> probe() {
                return Mono.just(ProbeResult.primary(Duration.ofMillis(1), "15", Instant.EPOCH, Lsn.parse("0/100"), 1));
            }

            @Override
            public Mono<Void> close() {
                return Mono.empty();
            }
        };
    }

    @AfterEach
    void stop() {
        monitor.stop().block();
        time.dispose();
    }

    @Test
    void aDegradedComponentDegradesTheStatusAndItsChangesAreEvents() {
        monitor.start();
        time.advanceTimeBy(Duration.ZERO);
        HealthSnapshot first = monitor.current().orElseThrow();
        assertThat(first.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(first.component("backup")).hasValueSatisfying(c -> {
            assertThat(c.status()).isEqualTo(ComponentHealth.Status.UP);
            assertThat(c.details()).containsEntry("age", "PT1H");
        });

        StepVerifier.withVirtualTime(() -> monitor.events(), () -> time, Long.MAX_VALUE)
                .assertNext(event -> assertThat(event).isInstanceOf(HealthEvent.Snapshot.class))
                .then(() -> next.set(Mono.just(ComponentHealth.degraded(Map.of("reason", "too old")))))
                .thenAwait(INTERVAL)
                .assertNext(event -> {
                    assertThat(event).isInstanceOf(HealthEvent.ComponentStatusChanged.class);
                    HealthEvent.ComponentStatusChanged changed = (HealthEvent.ComponentStatusChanged) event;
                    assertThat(changed.component()).isEqualTo("backup");
                    assertThat(changed.from()).isEqualTo(ComponentHealth.Status.UP);
                    assertThat(changed.to()).isEqualTo(ComponentHealth.Status.DEGRADED);
                    assertThat(changed.health().details()).containsEntry("reason", "too old");
                })
                .assertNext(event -> assertThat(event).isEqualTo(new HealthEvent.StatusChanged(event.at(), HealthStatus.HEALTHY, HealthStatus.DEGRADED)))
                .then(() -> next.set(Mono.just(ComponentHealth.up(Map.of()))))
                .thenAwait(INTERVAL)
                .assertNext(event -> assertThat(event).isInstanceOf(HealthEvent.ComponentStatusChanged.class))
                .assertNext(event -> assertThat(event).isEqualTo(new HealthEvent.StatusChanged(event.at(), HealthStatus.DEGRADED, HealthStatus.HEALTHY)))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aFailingOrHangingCheckIsDegradedWithTheReasonNeverAnErrorOfTheMonitor() {
        next.set(Mono.error(new IllegalStateException("backup folder unreadable")));
        monitor.start();
        time.advanceTimeBy(Duration.ZERO);
        HealthSnapshot failed = monitor.current().orElseThrow();
        assertThat(failed.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(failed.component("backup").orElseThrow().details().get("error"))
                .isEqualTo("IllegalStateException: backup folder unreadable");

        next.set(Mono.never());
        time.advanceTimeBy(INTERVAL);
        // The round waits for the check, bounded by the probe timeout.
        assertThat(monitor.current().orElseThrow().at()).isEqualTo(failed.at());
        time.advanceTimeBy(Duration.ofSeconds(1));
        HealthSnapshot hung = monitor.current().orElseThrow();
        assertThat(hung.at()).isAfter(failed.at());
        assertThat(hung.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(hung.component("backup").orElseThrow().details().get("error")).isEqualTo("check timed out after 1000 ms");

        next.set(Mono.fromSupplier(() -> {
            throw new IllegalArgumentException("thrown inside the check");
        }));
        time.advanceTimeBy(INTERVAL);
        assertThat(monitor.current().orElseThrow().component("backup").orElseThrow().status()).isEqualTo(ComponentHealth.Status.DEGRADED);

        next.set(Mono.just(ComponentHealth.up(Map.of())));
        time.advanceTimeBy(INTERVAL);
        assertThat(monitor.current().orElseThrow().status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void aDegradedComponentNeverMakesTheStatusUnhealthyNorHidesAMissingWriter() {
        next.set(Mono.just(ComponentHealth.degraded(Map.of())));
        TopologyEvaluator evaluator = new TopologyEvaluator(List.of(new TopologyEvaluator.Member("primary", EndpointRole.PRIMARY)), settings);
        HealthSnapshot none = new HealthSnapshot(HealthStatus.HEALTHY, Instant.EPOCH, Optional.of("primary"), false, List.of());
        TopologyEvaluator.Outcome down = evaluator.evaluate(Instant.EPOCH,
                Map.of("primary", ProbeResult.failed(Duration.ZERO, "refused")), Map.of(),
                Map.of("backup", ComponentHealth.degraded(Map.of())), none);
        assertThat(down.snapshot().status()).isEqualTo(HealthStatus.UNHEALTHY);
        TopologyEvaluator.Outcome up = evaluator.evaluate(Instant.EPOCH.plusSeconds(5),
                Map.of("primary", ProbeResult.primary(Duration.ZERO, "15", Instant.EPOCH, Lsn.parse("0/100"), 1)), Map.of(),
                Map.of("backup", ComponentHealth.degraded(Map.of())), down.snapshot());
        assertThat(up.snapshot().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(up.events()).noneMatch(e -> e instanceof HealthEvent.ComponentStatusChanged);
    }
}
