package io.reactivedb.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.health.HealthEvent;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.health.Lsn;
import io.reactivedb.health.ObservedRole;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TopologyEvaluatorTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration MS = Duration.ofMillis(1);

    private final TopologyEvaluator evaluator = new TopologyEvaluator(List.of(
            new TopologyEvaluator.Member("primary", EndpointRole.PRIMARY),
            new TopologyEvaluator.Member("replica-1", EndpointRole.REPLICA),
            new TopologyEvaluator.Member("replica-2", EndpointRole.REPLICA)),
            HealthSettings.builder().maxLag(Duration.ofSeconds(5)).failuresBeforeDown(1).build());

    private final HealthSnapshot initial = new HealthSnapshot(HealthStatus.HEALTHY, T0, Optional.of("primary"), false, List.of());

    private static ProbeResult primary(String lsn, long timeline) {
        return ProbeResult.primary(MS, "15.18", T0, Lsn.parse(lsn), timeline);
    }

    private static ProbeResult replica(String replayLsn, Duration sinceReplay) {
        return ProbeResult.replica(MS, "15.18", T0, Optional.of(Lsn.parse(replayLsn)), Optional.of(sinceReplay));
    }

    private static ProbeResult down() {
        return ProbeResult.failed(MS, "Connection refused");
    }

    private TopologyEvaluator.Outcome round(HealthSnapshot previous, ProbeResult p, ProbeResult r1, ProbeResult r2) {
        Map<String, ProbeResult> results = new HashMap<>();
        results.put("primary", p);
        results.put("replica-1", r1);
        results.put("replica-2", r2);
        return evaluator.evaluate(T0, results, Map.of(), previous);
    }

    @Test
    void allUpAndCaughtUpIsHealthyWithTheReplicasInRotation() {
        TopologyEvaluator.Outcome outcome = round(initial, primary("0/3000060", 1), replica("0/3000060", Duration.ofMinutes(5)),
                replica("0/3000060", Duration.ofMinutes(5)));
        HealthSnapshot snapshot = outcome.snapshot();
        assertThat(snapshot.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(snapshot.writer()).contains("primary");
        // Caught up in bytes: the idle primary's old last transaction does not count as lag.
        assertThat(snapshot.endpoint("replica-1").orElseThrow().lagTime()).contains(Duration.ZERO);
        assertThat(snapshot.endpoint("replica-1").orElseThrow().inRotation()).isTrue();
        assertThat(snapshot.endpoint("primary").orElseThrow().inRotation()).isFalse();
        assertThat(outcome.events()).isEmpty();
    }

    @Test
    void aReplicaDownMakesItDegradedAndEmitsEndpointDown() {
        TopologyEvaluator.Outcome outcome = round(initial, primary("0/3000060", 1), down(), replica("0/3000060", Duration.ZERO));
        assertThat(outcome.snapshot().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(outcome.snapshot().endpoint("replica-1").orElseThrow().inRotation()).isFalse();
        assertThat(outcome.events()).hasAtLeastOneElementOfType(HealthEvent.EndpointDown.class)
                .anySatisfy(e -> assertThat(e).isEqualTo(new HealthEvent.StatusChanged(T0, HealthStatus.HEALTHY, HealthStatus.DEGRADED)));

        TopologyEvaluator.Outcome back = round(outcome.snapshot(), primary("0/3000060", 1), replica("0/3000060", Duration.ZERO),
                replica("0/3000060", Duration.ZERO));
        assertThat(back.snapshot().status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(back.events()).contains(new HealthEvent.EndpointUp(T0, "replica-1", ObservedRole.REPLICA));
    }

    @Test
    void aLaggingReplicaLeavesRotationAndComesBack() {
        TopologyEvaluator.Outcome lagging = round(initial, primary("0/4000000", 1), replica("0/3000000", Duration.ofSeconds(9)),
                replica("0/4000000", Duration.ZERO));
        EndpointHealth r1 = lagging.snapshot().endpoint("replica-1").orElseThrow();
        assertThat(r1.lagBytes()).hasValue(0x1000000);
        assertThat(r1.lagging()).isTrue();
        assertThat(r1.inRotation()).isFalse();
        assertThat(lagging.snapshot().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(lagging.events()).hasAtLeastOneElementOfType(HealthEvent.LagExceeded.class);

        TopologyEvaluator.Outcome recovered = round(lagging.snapshot(), primary("0/4000000", 1), replica("0/4000000", Duration.ofSeconds(9)),
                replica("0/4000000", Duration.ZERO));
        assertThat(recovered.snapshot().endpoint("replica-1").orElseThrow().inRotation()).isTrue();
        assertThat(recovered.events()).hasAtLeastOneElementOfType(HealthEvent.LagRecovered.class);
    }

    @Test
    void aFewBytesOfWalWithoutTransactionsDoNotCountAsLagInTime() {
        // Right after a primary restart: a checkpoint record not yet replayed, last transaction long ago.
        TopologyEvaluator.Outcome outcome = round(initial, primary("0/4000070", 1), replica("0/4000000", Duration.ofMinutes(3)),
                replica("0/3000000", Duration.ofMinutes(3)));
        assertThat(outcome.snapshot().endpoint("replica-1").orElseThrow().lagTime()).contains(Duration.ZERO);
        assertThat(outcome.snapshot().endpoint("replica-1").orElseThrow().inRotation()).isTrue();
        assertThat(outcome.snapshot().endpoint("replica-2").orElseThrow().lagging()).isTrue();
    }

    @Test
    void writesFollowAPromotedReplicaWhenThePrimaryIsDown() {
        TopologyEvaluator.Outcome failover = round(initial, down(), primary("0/5000000", 2), replica("0/5000000", Duration.ZERO));
        assertThat(failover.snapshot().writer()).contains("replica-1");
        assertThat(failover.snapshot().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(failover.events()).contains(new HealthEvent.WriterChanged(T0, Optional.of("primary"), Optional.of("replica-1")));
        assertThat(failover.snapshot().endpoint("replica-1").orElseThrow().inRotation()).isFalse();
    }

    @Test
    void splitBrainKeepsWritingToTheNewestTimelineAndSaysSo() {
        HealthSnapshot afterFailover = round(initial, down(), primary("0/5000000", 2), replica("0/5000000", Duration.ZERO)).snapshot();
        // The old primary comes back as a standalone server on the old timeline.
        TopologyEvaluator.Outcome outcome = round(afterFailover, primary("0/4000000", 1), primary("0/5000100", 2),
                replica("0/5000100", Duration.ZERO));
        assertThat(outcome.snapshot().writer()).contains("replica-1");
        assertThat(outcome.snapshot().splitBrain()).isTrue();
        assertThat(outcome.snapshot().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(outcome.snapshot().endpoint("primary").orElseThrow().inRotation()).isFalse();
        assertThat(outcome.events()).contains(new HealthEvent.SplitBrain(T0, List.of("primary", "replica-1"), Optional.of("replica-1")));
    }

    @Test
    void noServerOutOfRecoveryIsUnhealthyAndNobodyTakesWrites() {
        TopologyEvaluator.Outcome outcome = round(initial, replica("0/1", Duration.ZERO), replica("0/1", Duration.ZERO), down());
        assertThat(outcome.snapshot().writer()).isEmpty();
        assertThat(outcome.snapshot().status()).isEqualTo(HealthStatus.UNHEALTHY);
        // A demoted primary in recovery serves reads.
        assertThat(outcome.snapshot().endpoint("primary").orElseThrow().inRotation()).isTrue();
        assertThat(outcome.events()).contains(new HealthEvent.WriterChanged(T0, Optional.of("primary"), Optional.empty()));

        HealthSnapshot wasPrimary = round(initial, primary("0/1", 1), replica("0/1", Duration.ZERO), replica("0/1", Duration.ZERO)).snapshot();
        TopologyEvaluator.Outcome demoted = round(wasPrimary, replica("0/1", Duration.ZERO), replica("0/1", Duration.ZERO), down());
        assertThat(demoted.events()).contains(new HealthEvent.RoleChanged(T0, "primary", ObservedRole.PRIMARY, ObservedRole.REPLICA));
    }

    @Test
    void oneFailedProbeIsToleratedWhenTwoAreNeededForDown() {
        TopologyEvaluator tolerant = new TopologyEvaluator(List.of(
                new TopologyEvaluator.Member("primary", EndpointRole.PRIMARY),
                new TopologyEvaluator.Member("replica-1", EndpointRole.REPLICA)),
                HealthSettings.builder().failuresBeforeDown(2).build());
        // Never reached yet (a cold start): the configured roles stand.
        TopologyEvaluator.Outcome first = tolerant.evaluate(T0, Map.of("primary", down(), "replica-1", down()), Map.of(), initial);
        assertThat(first.snapshot().writer()).contains("primary");
        assertThat(first.snapshot().endpoint("replica-1").orElseThrow().inRotation()).isTrue();
        assertThat(first.snapshot().endpoint("replica-1").orElseThrow().error()).contains("Connection refused");
        assertThat(first.events()).isEmpty();

        TopologyEvaluator.Outcome good = tolerant.evaluate(T0, Map.of("primary", primary("0/10", 1), "replica-1", replica("0/10", Duration.ZERO)),
                Map.of(), first.snapshot());
        TopologyEvaluator.Outcome oneFailure = tolerant.evaluate(T0, Map.of("primary", primary("0/10", 1), "replica-1", down()), Map.of(),
                good.snapshot());
        assertThat(oneFailure.snapshot().status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(oneFailure.events()).isEmpty();
        TopologyEvaluator.Outcome twoFailures = tolerant.evaluate(T0, Map.of("primary", primary("0/10", 1), "replica-1", down()), Map.of(),
                oneFailure.snapshot());
        assertThat(twoFailures.snapshot().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(twoFailures.events()).hasAtLeastOneElementOfType(HealthEvent.EndpointDown.class);
    }

    @Test
    void aFullPoolWithWaitersIsReported() {
        Map<String, ProbeResult> results = Map.of("primary", primary("0/1", 1), "replica-1", replica("0/1", Duration.ZERO),
                "replica-2", replica("0/1", Duration.ZERO));
        TopologyEvaluator.Outcome outcome = evaluator.evaluate(T0, results,
                Map.of("primary", new PoolStatistics(10, 0, 5, 10, 10, 0)), initial);
        assertThat(outcome.events()).contains(new HealthEvent.PoolExhausted(T0, "primary", new PoolStatistics(10, 0, 5, 10, 10, 0)));
    }

    @Test
    void aSaturatedPoolMakesTheRoundDegradedWhileItLasts() {
        Map<String, ProbeResult> results = Map.of("primary", primary("0/1", 1), "replica-1", replica("0/1", Duration.ZERO),
                "replica-2", replica("0/1", Duration.ZERO));
        TopologyEvaluator.Outcome saturated = evaluator.evaluate(T0, results,
                Map.of("replica-1", new PoolStatistics(10, 0, 3, 10, 10, 0)), initial);
        assertThat(saturated.snapshot().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(saturated.events()).contains(new HealthEvent.StatusChanged(T0, initial.status(), HealthStatus.DEGRADED));

        // Every connection lent out but nobody waiting is busy, not saturated; and the round after the queue drained is healthy again.
        TopologyEvaluator.Outcome busy = evaluator.evaluate(T0.plusSeconds(5), results,
                Map.of("replica-1", new PoolStatistics(10, 0, 0, 10, 10, 0)), saturated.snapshot());
        assertThat(busy.snapshot().status()).isEqualTo(HealthStatus.HEALTHY);
    }

    @Test
    void withoutAnyWriterPositionAnIdleClustersReplicasKeepTheirPlaceInRotation() {
        // The primary was never reached, so there is no writer position to measure replicas against;
        // their last transaction is minutes old only because nothing was written.
        TopologyEvaluator.Outcome outcome = round(initial, down(), replica("0/1", Duration.ofMinutes(5)), replica("0/1", Duration.ofMinutes(5)));
        assertThat(outcome.snapshot().writer()).isEmpty();
        assertThat(outcome.snapshot().endpoint("replica-1").orElseThrow().inRotation()).isTrue();
        assertThat(outcome.snapshot().endpoint("replica-2").orElseThrow().lagging()).isFalse();
        assertThat(outcome.events()).noneMatch(event -> event instanceof HealthEvent.LagExceeded);
    }

    @Test
    void withoutAWriterAReplicaBehindTheLastWriterPositionStillCountsAsLagging() {
        HealthSnapshot withWriter = round(initial, primary("0/3000060", 1), replica("0/3000060", Duration.ZERO),
                replica("0/1000000", Duration.ofMinutes(5))).snapshot();
        TopologyEvaluator.Outcome outcome = round(withWriter, down(), replica("0/3000060", Duration.ofMinutes(5)),
                replica("0/1000000", Duration.ofMinutes(5)));
        assertThat(outcome.snapshot().endpoint("replica-1").orElseThrow().inRotation()).isTrue();
        assertThat(outcome.snapshot().endpoint("replica-2").orElseThrow().lagging()).isTrue();
    }
}
