package io.reactivedb.web.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.health.HealthEvent;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.HealthStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class HealthStreamTest {

    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
    private static final HealthSnapshot SNAPSHOT = new HealthSnapshot(HealthStatus.HEALTHY, AT, Optional.of("primary"), false, List.of());

    @Test
    void snapshotFirstThenEventsAndAHeartbeatEveryInterval() {
        Sinks.Many<HealthEvent> events = Sinks.many().multicast().onBackpressureBuffer();
        StepVerifier.withVirtualTime(() -> HealthStream.of(events.asFlux(), s -> Mono.just("snapshot of " + s.snapshot().status()), true,
                        Duration.ofSeconds(15), VirtualTimeScheduler.get()))
                .then(() -> events.tryEmitNext(new HealthEvent.Snapshot(AT, SNAPSHOT)))
                .assertNext(sse -> {
                    assertThat(sse.event()).isEqualTo("snapshot");
                    assertThat(sse.data()).isEqualTo("snapshot of HEALTHY");
                })
                .then(() -> events.tryEmitNext(new HealthEvent.EndpointDown(AT, "replica-1", "refused")))
                .assertNext(sse -> {
                    assertThat(sse.event()).isEqualTo("endpoint-down");
                    assertThat(sse.data()).isInstanceOf(HealthEvent.EndpointDown.class);
                })
                .expectNoEvent(Duration.ofSeconds(14))
                .thenAwait(Duration.ofSeconds(1))
                .assertNext(sse -> {
                    assertThat(sse.comment()).isEqualTo("heartbeat");
                    assertThat(sse.data()).isNull();
                })
                .thenAwait(Duration.ofSeconds(15))
                .assertNext(sse -> assertThat(sse.comment()).isEqualTo("heartbeat"))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void withoutDetailsOnlyTheSnapshotAndStatusChangesPass() {
        Sinks.Many<HealthEvent> events = Sinks.many().multicast().onBackpressureBuffer();
        StepVerifier.withVirtualTime(() -> HealthStream.of(events.asFlux(), s -> Mono.just("status only"), false,
                        Duration.ofSeconds(15), VirtualTimeScheduler.get()))
                .then(() -> {
                    events.tryEmitNext(new HealthEvent.Snapshot(AT, SNAPSHOT));
                    events.tryEmitNext(new HealthEvent.EndpointDown(AT, "replica-1", "Connection refused: 127.0.0.1"));
                    events.tryEmitNext(new HealthEvent.StatusChanged(AT, HealthStatus.HEALTHY, HealthStatus.DEGRADED));
                })
                .assertNext(sse -> assertThat(sse.event()).isEqualTo("snapshot"))
                .assertNext(sse -> {
                    assertThat(sse.event()).isEqualTo("status-changed");
                    assertThat(sse.data()).isEqualTo(Map.of("from", "HEALTHY", "to", "DEGRADED"));
                })
                .expectNoEvent(Duration.ofSeconds(10))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void eventNamesAreKebabCase() {
        assertThat(HealthStream.name(new HealthEvent.BreakerStateChanged(AT, "primary", "CLOSED", "OPEN"))).isEqualTo("breaker-state-changed");
        assertThat(HealthStream.name(new HealthEvent.LagExceeded(AT, "replica-1", java.util.OptionalLong.empty(), Optional.empty())))
                .isEqualTo("lag-exceeded");
    }
}
