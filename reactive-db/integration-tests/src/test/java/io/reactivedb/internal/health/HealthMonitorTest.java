package io.reactivedb.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.health.HealthEvent;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.health.Lsn;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/** The probe loop and the event stream on virtual time, with scripted probes at the SPI edge. */
class HealthMonitorTest {

    private static final Duration INTERVAL = Duration.ofSeconds(5);

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final HealthSettings settings = HealthSettings.builder().interval(INTERVAL).probeTimeout(Duration.ofSeconds(1))
            .failuresBeforeDown(1).build();

    /** A probe whose next answer the test sets; counts how often it was asked. */
    private static final class ScriptedProbe implements EndpointProbe {
        private final String name;
        private final AtomicInteger calls = new AtomicInteger();
        private final AtomicReference<Mono<ProbeResult>> next;

        ScriptedProbe(String name, Mono<ProbeResult> initial) {
            this.name = name;
            this.next = new AtomicReference<>(initial);
        }

        @Override
        public String endpoint() {
            return name;
        }

        @Override
        public Mono<ProbeResult> probe() {
            return Mono.defer(() -> {
                calls.incrementAndGet();
                return next.get();
            });
        }

        @Override
        public Mono<Void> close() {
            return Mono.empty();
        }
    }

    private static Mono<ProbeResult> primaryUp() {
        return Mono.just(ProbeResult.primary(Duration.ofMillis(1), "15", java.time.Instant.EPOCH, Lsn.parse("0/100"), 1));
    }

    private static Mono<ProbeResult> replicaUp() {
        return Mono.just(ProbeResult.replica(Duration.ofMillis(1), "15", java.time.Instant.EPOCH, Optional.of(Lsn.parse("0/100")),
                Optional.of(Duration.ZERO)));
    }

    private final ScriptedProbe primary = new ScriptedProbe("primary", primaryUp());
    private final ScriptedProbe replica = new ScriptedProbe("replica-1", replicaUp());
    private final List<HealthSnapshot> applied = new ArrayList<>();
    private final HealthMonitor monitor = new HealthMonitor(List.of(
            new HealthMonitor.Target("primary", EndpointRole.PRIMARY, primary, () -> new PoolStatistics(0, 1, 0, 1, 10, 0)),
            new HealthMonitor.Target("replica-1", EndpointRole.REPLICA, replica, () -> new PoolStatistics(0, 1, 0, 1, 10, 0))),
            Optional.of("primary"), settings, time, applied::add);

    @AfterEach
    void stop() {
        monitor.stop().block();
        time.dispose();
    }

    @Test
    void probesOncePerIntervalWhateverTheNumberOfSubscribers() {
        monitor.start();
        time.advanceTimeBy(Duration.ZERO);
        assertThat(primary.calls).hasValue(1);
        List<Disposable> subscribers = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            subscribers.add(monitor.events().subscribe());
        }
        time.advanceTimeBy(INTERVAL.multipliedBy(10));
        assertThat(primary.calls).hasValue(11);
        assertThat(replica.calls).hasValue(11);
        assertThat(applied).hasSize(11);
        subscribers.forEach(Disposable::dispose);
    }

    @Test
    void aNewSubscriberGetsTheSnapshotFirstThenChanges() {
        monitor.start();
        time.advanceTimeBy(Duration.ZERO);
        StepVerifier.withVirtualTime(() -> monitor.events(), () -> time, Long.MAX_VALUE)
                .assertNext(event -> {
                    assertThat(event).isInstanceOf(HealthEvent.Snapshot.class);
                    assertThat(((HealthEvent.Snapshot) event).snapshot().status()).isEqualTo(HealthStatus.HEALTHY);
                })
                .then(() -> replica.next.set(Mono.error(new java.io.IOException("Connection refused"))))
                .thenAwait(INTERVAL)
                .assertNext(event -> assertThat(event).isInstanceOf(HealthEvent.EndpointDown.class))
                .assertNext(event -> assertThat(event).isEqualTo(new HealthEvent.StatusChanged(event.at(), HealthStatus.HEALTHY, HealthStatus.DEGRADED)))
                .then(() -> replica.next.set(replicaUp()))
                .thenAwait(INTERVAL)
                .assertNext(event -> assertThat(event).isInstanceOf(HealthEvent.EndpointUp.class))
                .assertNext(event -> assertThat(event).isInstanceOf(HealthEvent.StatusChanged.class))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aHangingProbeIsBoundedByTheProbeTimeoutAndCountsAsDown() {
        replica.next.set(Mono.never());
        monitor.start();
        time.advanceTimeBy(Duration.ofMillis(999));
        assertThat(monitor.current()).isEmpty();
        time.advanceTimeBy(Duration.ofMillis(1));
        HealthSnapshot snapshot = monitor.current().orElseThrow();
        assertThat(snapshot.status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(snapshot.endpoint("replica-1").orElseThrow().reachable()).isFalse();
        assertThat(snapshot.endpoint("replica-1").orElseThrow().error()).hasValueSatisfying(e -> assertThat(e).contains("timed out after 1000 ms"));
    }

    @Test
    void probeNowRunsARoundBetweenTicks() {
        monitor.start();
        time.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(primary.calls).hasValue(1);
        monitor.probeNow();
        time.advanceTimeBy(Duration.ZERO);
        assertThat(primary.calls).hasValue(2);
    }

    @Test
    void aSubscriberThatThrowsDoesNotBreakTheStreamForOthers() {
        monitor.start();
        time.advanceTimeBy(Duration.ZERO);
        AtomicInteger healthyReceived = new AtomicInteger();
        monitor.events().subscribe(event -> {
            throw new IllegalStateException("subscriber bug");
        }, error -> { });
        monitor.events().subscribe(event -> healthyReceived.incrementAndGet());
        replica.next.set(Mono.error(new java.io.IOException("down")));
        time.advanceTimeBy(INTERVAL);
        assertThat(healthyReceived.get()).isEqualTo(3);
        assertThat(primary.calls).hasValue(2);
    }

    @Test
    void aSlowSubscriberLosesOldestEventsButNeverStallsTheProbes() {
        monitor.start();
        time.advanceTimeBy(Duration.ZERO);
        List<HealthEvent> received = new ArrayList<>();
        monitor.events().subscribe(new reactor.core.publisher.BaseSubscriber<HealthEvent>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                // requests nothing: the slowest possible subscriber
            }

            @Override
            protected void hookOnNext(HealthEvent value) {
                received.add(value);
            }
        });
        for (int i = 0; i < 400; i++) {
            replica.next.set(i % 2 == 0 ? Mono.error(new java.io.IOException("down")) : replicaUp());
            time.advanceTimeBy(INTERVAL);
        }
        assertThat(primary.calls).hasValue(401);
        assertThat(received).isEmpty();
    }

    @Test
    void aFailedProbeIsCheckedAgainAfterTheRecheckIntervalNotAWholeInterval() {
        HealthSettings tolerant = HealthSettings.builder().interval(INTERVAL).probeTimeout(Duration.ofSeconds(1)).failuresBeforeDown(2)
                .recheckInterval(Duration.ofMillis(250)).build();
        ScriptedProbe hanging = new ScriptedProbe("replica-1", replicaUp());
        List<HealthSnapshot> rounds = new ArrayList<>();
        HealthMonitor tolerantMonitor = new HealthMonitor(List.of(
                new HealthMonitor.Target("primary", EndpointRole.PRIMARY, primary, () -> new PoolStatistics(0, 1, 0, 1, 10, 0)),
                new HealthMonitor.Target("replica-1", EndpointRole.REPLICA, hanging, () -> new PoolStatistics(0, 1, 0, 1, 10, 0))),
                Optional.of("primary"), tolerant, time, rounds::add);
        try {
            tolerantMonitor.start();
            time.advanceTimeBy(Duration.ZERO);
            assertThat(rounds).hasSize(1);
            // The replica stops answering: its probe hangs until the probe timeout.
            hanging.next.set(Mono.never());
            time.advanceTimeBy(INTERVAL.plusSeconds(1));
            assertThat(rounds).hasSize(2);
            assertThat(rounds.get(1).endpoint("replica-1").orElseThrow().reachable()).as("one failure is tolerated").isTrue();
            // The second probe comes 250 ms later, not a whole interval: down 1.25 s after the first timeout.
            time.advanceTimeBy(Duration.ofMillis(1249));
            assertThat(rounds).hasSize(2);
            time.advanceTimeBy(Duration.ofMillis(1));
            assertThat(rounds).hasSize(3);
            assertThat(rounds.get(2).endpoint("replica-1").orElseThrow().reachable()).isFalse();
            // Down is no doubt: no re-check, the next probe comes with the next tick (at 10 s).
            int before = hanging.calls.get();
            time.advanceTimeBy(Duration.ofMillis(2749));
            assertThat(hanging.calls.get()).isEqualTo(before);
            time.advanceTimeBy(Duration.ofMillis(1));
            assertThat(hanging.calls.get()).isEqualTo(before + 1);
        } finally {
            tolerantMonitor.stop().block();
        }
    }

    @Test
    void withoutAWriterRoundsComeEverRecheckIntervalDoublingUpToOneSecond() {
        primary.next.set(Mono.error(new java.io.IOException("Connection refused")));
        monitor.start();
        time.advanceTimeBy(Duration.ZERO);
        assertThat(applied).hasSize(1);
        assertThat(applied.get(0).writer()).isEmpty();
        // 250, 500, 1000, then 1000 ms apart (the default re-check interval, capped at 1 s).
        time.advanceTimeBy(Duration.ofMillis(250));
        assertThat(applied).hasSize(2);
        time.advanceTimeBy(Duration.ofMillis(500));
        assertThat(applied).hasSize(3);
        time.advanceTimeBy(Duration.ofMillis(1000));
        assertThat(applied).hasSize(4);
        time.advanceTimeBy(Duration.ofMillis(1000));
        assertThat(applied).hasSize(5);
        // The primary is back: one more re-check finds it, then the interval again.
        primary.next.set(primaryUp());
        time.advanceTimeBy(Duration.ofMillis(1000));
        assertThat(applied).hasSize(6);
        assertThat(applied.get(5).writer()).contains("primary");
        time.advanceTimeBy(Duration.ofMillis(1000));
        assertThat(applied).hasSize(6);
    }

    @Test
    void probeSoonRunsAtMostOneRoundPerRecheckInterval() {
        monitor.start();
        time.advanceTimeBy(Duration.ZERO);
        assertThat(applied).hasSize(1);
        // Right after a round: one round 250 ms after it, however often asked.
        for (int i = 0; i < 100; i++) {
            monitor.probeSoon();
        }
        time.advanceTimeBy(Duration.ofMillis(249));
        assertThat(applied).hasSize(1);
        time.advanceTimeBy(Duration.ofMillis(1));
        assertThat(applied).hasSize(2);
        // Long after the last round: at once.
        time.advanceTimeBy(Duration.ofSeconds(1));
        monitor.probeSoon();
        time.advanceTimeBy(Duration.ZERO);
        assertThat(applied).hasSize(3);
    }
}
