package io.reactivedb.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.pool.AcquireWaits;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The advice rules with constructed observations: each recommendation, and none for a pool that fits. */
class PoolAdvisorTest {

    private static final Duration WINDOW = Duration.ofSeconds(10);
    /** 8 cores, 1 spindle: rule of thumb 17 for one instance. */
    private static final PoolAdviceSettings SETTINGS = PoolAdviceSettings.builder().serverCores(8).effectiveSpindles(1).build();
    private static final ServerCapacity CAPACITY = new ServerCapacity(100, 3);
    private static final PoolSettings POOL = PoolSettings.builder().minIdle(2).maxSize(10).acquireTimeout(Duration.ofSeconds(5)).build();

    /** A pool that fits its load: half used at peak, nobody waits, quick acquisitions. */
    private static PoolObservation fitting() {
        return new PoolObservation("primary", WINDOW, 100, 10, 5000, Duration.ofMillis(1), 0, 0.4, 6, 0, 0.0, 0.3);
    }

    private static PoolObservation with(PoolObservation o, long timeouts, int peakPending, double pendingShare, Duration p99) {
        return new PoolObservation(o.endpoint(), o.window(), o.samples(), o.maxSize(), o.acquisitions(), p99, timeouts,
                o.meanUtilisation(), o.peakAcquired(), peakPending, pendingShare, o.meanIdleShare());
    }

    @Test
    void aPoolThatFitsItsLoadGetsNoRecommendation() {
        PoolAdvice advice = PoolAdvisor.advise(fitting(), POOL, CAPACITY, SETTINGS, 1);
        assertThat(advice.recommendations()).isEmpty();
        assertThat(advice.endpoint()).isEqualTo("primary");
        PoolSizing sizing = advice.sizing().orElseThrow();
        assertThat(sizing.ruleOfThumb()).isEqualTo(17);
        assertThat(sizing.ruleOfThumbPerInstance()).isEqualTo(17);
        assertThat(sizing.budgetPerInstance()).isEqualTo(96);
        assertThat(sizing.ceiling()).isEqualTo(17);
        assertThat(sizing.coresAssumed()).isFalse();
        assertThat(sizing.configuredMax()).isEqualTo(10);
    }

    @Test
    void waitingCallersWithRoomOnTheServerIncreaseTheMaximumByThePeakOfWaiters() {
        PoolObservation busy = with(fitting(), 0, 4, 0.3, Duration.ofMillis(50));
        List<PoolRecommendation> recommendations = PoolAdvisor.advise(busy, POOL, CAPACITY, SETTINGS, 1).recommendations();
        assertThat(recommendations).singleElement().isInstanceOfSatisfying(PoolRecommendation.IncreaseMaxSize.class, increase -> {
            assertThat(increase.current()).isEqualTo(10);
            assertThat(increase.suggested()).isEqualTo(14);
            assertThat(increase.reason()).contains("callers waiting in 30% of the samples (threshold 5%, peak 4)",
                    "p99 acquire wait up to 50 ms (threshold 20 ms)", "may grow to 17");
            assertThat(increase.evidence()).isSameAs(busy);
        });
    }

    @Test
    void aSlowP99AloneIsPressureAndTheIncreaseStopsAtTheRuleOfThumb() {
        PoolObservation slow = with(fitting(), 0, 0, 0.0, Duration.ofMillis(25));
        PoolSettings nearCeiling = POOL.toBuilder().maxSize(16).build();
        assertThat(PoolAdvisor.advise(slow, nearCeiling, CAPACITY, SETTINGS, 1).recommendations()).singleElement()
                .isInstanceOfSatisfying(PoolRecommendation.IncreaseMaxSize.class, increase -> assertThat(increase.suggested()).isEqualTo(17));
    }

    @Test
    void theIncreaseStaysWithinTheConnectionBudgetOfSeveralInstances() {
        // 4 instances share 40 − 3 reserved: 9 each, less the health probe: 8; rule of thumb 17 / 4 → 5.
        PoolAdviceSettings shared = PoolAdviceSettings.builder().serverCores(8).effectiveSpindles(1).instances(4).build();
        PoolObservation busy = with(fitting(), 2, 3, 0.2, Duration.ofMillis(5));
        PoolSettings small = POOL.toBuilder().maxSize(3).build();
        PoolAdvice advice = PoolAdvisor.advise(busy, small, new ServerCapacity(40, 3), shared, 1);
        assertThat(advice.sizing().orElseThrow().budgetPerInstance()).isEqualTo(8);
        assertThat(advice.sizing().orElseThrow().ruleOfThumbPerInstance()).isEqualTo(5);
        assertThat(advice.recommendations()).singleElement().isInstanceOfSatisfying(PoolRecommendation.IncreaseMaxSize.class,
                increase -> {
                    assertThat(increase.suggested()).isEqualTo(5);
                    assertThat(increase.reason()).contains("2 acquire timeout(s)", "connection budget 8 per instance");
                });
    }

    @Test
    void timeoutsAtTheCeilingRaiseTheAcquireTimeoutInsteadOfTheMaximum() {
        PoolObservation timingOut = with(fitting(), 7, 12, 0.6, Duration.ofSeconds(5));
        PoolSettings atCeiling = POOL.toBuilder().maxSize(17).build();
        assertThat(PoolAdvisor.advise(timingOut, atCeiling, CAPACITY, SETTINGS, 1).recommendations()).singleElement()
                .isInstanceOfSatisfying(PoolRecommendation.RaiseAcquireTimeout.class, raise -> {
                    assertThat(raise.current()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(raise.suggested()).isEqualTo(Duration.ofSeconds(10));
                    assertThat(raise.reason()).contains("7 acquire timeout(s)", "at its ceiling of 17");
                });
        // Waiting without timeouts at the ceiling is the queueing the pool is for: nothing to change.
        PoolObservation queueing = with(fitting(), 0, 12, 0.6, Duration.ofMillis(500));
        assertThat(PoolAdvisor.advise(queueing, atCeiling, CAPACITY, SETTINGS, 1).recommendations()).isEmpty();
    }

    @Test
    void aMaximumOverTheConnectionBudgetIsLoweredToItWhateverTheLoad() {
        // 10 instances × (10 + 1) = 110 > 97.
        PoolAdviceSettings many = PoolAdviceSettings.builder().serverCores(8).instances(10).build();
        PoolObservation busy = with(fitting(), 3, 2, 0.5, Duration.ofMillis(100));
        assertThat(PoolAdvisor.advise(busy, POOL, CAPACITY, many, 1).recommendations()).singleElement()
                .isInstanceOfSatisfying(PoolRecommendation.LowerMaxSize.class, lower -> {
                    assertThat(lower.current()).isEqualTo(10);
                    assertThat(lower.suggested()).isEqualTo(8);
                    assertThat(lower.reason()).contains("10 instance(s) × (10 pooled + 1 other) connections = 110 exceed the 97",
                            "max_connections 100 − 3 reserved");
                });
    }

    @Test
    void aMostlyUnusedPoolIsLoweredOnlyAfterEnoughAcquisitions() {
        PoolObservation quiet = new PoolObservation("replica-1", WINDOW, 100, 20, 400, Duration.ofNanos(100_000), 0, 0.1, 4, 0, 0, 0.3);
        PoolSettings large = POOL.toBuilder().maxSize(20).build();
        assertThat(PoolAdvisor.advise(quiet, large, CAPACITY, SETTINGS, 1).recommendations()).singleElement()
                .isInstanceOfSatisfying(PoolRecommendation.LowerMaxSize.class, lower -> {
                    assertThat(lower.suggested()).isEqualTo(8);
                    assertThat(lower.reason()).contains("at most 4 of 20 connections", "400 acquisitions");
                });
        PoolObservation tooFew = new PoolObservation("replica-1", WINDOW, 100, 20, 99, Duration.ofNanos(100_000), 0, 0.1, 4, 0, 0, 0.3);
        assertThat(PoolAdvisor.advise(tooFew, large, CAPACITY, SETTINGS, 1).recommendations()).isEmpty();
    }

    @Test
    void idleConnectionsAboveThePeakLowerTheMinimumIdle() {
        PoolObservation idle = new PoolObservation("primary", WINDOW, 100, 10, 50, Duration.ofNanos(50_000), 0, 0.05, 1, 0, 0, 0.9);
        PoolSettings warm = POOL.toBuilder().minIdle(6).build();
        List<PoolRecommendation> recommendations = PoolAdvisor.advise(idle, warm, CAPACITY, SETTINGS, 1).recommendations();
        assertThat(recommendations).singleElement().isInstanceOfSatisfying(PoolRecommendation.LowerMinIdle.class, lower -> {
            assertThat(lower.current()).isEqualTo(6);
            assertThat(lower.suggested()).isEqualTo(1);
            assertThat(lower.reason()).contains("90% of the open connections were idle", "at most 1 were in use", "minimum of 6");
        });
        // With enough traffic to judge the maximum too, both are lowered; the maximum not below the new minimum.
        PoolObservation idleButBusyEnough = new PoolObservation("primary", WINDOW, 100, 10, 500, Duration.ofNanos(50_000), 0, 0.05, 1,
                0, 0, 0.9);
        assertThat(PoolAdvisor.advise(idleButBusyEnough, warm, CAPACITY, SETTINGS, 1).recommendations())
                .hasSize(2)
                .anySatisfy(r -> assertThat(r).isInstanceOf(PoolRecommendation.LowerMinIdle.class))
                .anySatisfy(r -> assertThat(r).isInstanceOfSatisfying(PoolRecommendation.LowerMaxSize.class,
                        lower -> assertThat(lower.suggested()).isEqualTo(2)));
    }

    @Test
    void withoutTheServersLimitTheRuleOfThumbStillCapsTheIncrease() {
        PoolObservation busy = with(fitting(), 1, 30, 0.9, Duration.ofSeconds(1));
        PoolAdvice advice = PoolAdvisor.advise(busy, POOL, null, SETTINGS, 1);
        assertThat(advice.sizing()).isEmpty();
        assertThat(advice.recommendations()).singleElement().isInstanceOfSatisfying(PoolRecommendation.IncreaseMaxSize.class,
                increase -> {
                    assertThat(increase.suggested()).isEqualTo(17);
                    assertThat(increase.reason()).contains("connection budget unknown");
                });
    }

    @Test
    void withoutAConfiguredCoreCountThisMachinesIsAssumed() {
        PoolAdvice advice = PoolAdvisor.advise(fitting(), POOL, CAPACITY, PoolAdviceSettings.defaults(), 0);
        PoolSizing sizing = advice.sizing().orElseThrow();
        assertThat(sizing.coresAssumed()).isTrue();
        assertThat(sizing.cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(sizing.ruleOfThumb()).isEqualTo(sizing.cores() * 2 + 1);
        assertThat(sizing.budgetPerInstance()).isEqualTo(97);
    }

    @Test
    void anObservationSummarisesTheSamplesOfTheWindow() {
        List<PoolStatistics> samples = new ArrayList<>();
        samples.add(new PoolStatistics(2, 2, 0, 4, 10, 0));
        samples.add(new PoolStatistics(10, 0, 3, 10, 10, 1));
        samples.add(new PoolStatistics(0, 0, 0, 0, 10, 1));
        samples.add(new PoolStatistics(4, 6, 0, 10, 10, 1));
        List<Long> counts = new ArrayList<>(Collections.nCopies(AcquireWaits.BOUNDS.size() + 1, 0L));
        counts.set(0, 99L);
        counts.set(AcquireWaits.BOUNDS.indexOf(Duration.ofMillis(100)), 1L);
        AcquireWaits waits = new AcquireWaits(AcquireWaits.BOUNDS, counts, 0);
        PoolObservation observation = PoolObservation.of("primary", WINDOW, samples, waits, 1);
        assertThat(observation.samples()).isEqualTo(4);
        assertThat(observation.maxSize()).isEqualTo(10);
        assertThat(observation.acquisitions()).isEqualTo(100);
        assertThat(observation.acquireWaitP99()).isEqualTo(Duration.ofNanos(50_000));
        assertThat(observation.acquireTimeouts()).isEqualTo(1);
        assertThat(observation.meanUtilisation()).isEqualTo((0.2 + 1.0 + 0 + 0.4) / 4);
        assertThat(observation.peakAcquired()).isEqualTo(10);
        assertThat(observation.peakPending()).isEqualTo(3);
        assertThat(observation.pendingShare()).isEqualTo(0.25);
        // Over the three samples with open connections: 2/4, 0/10, 6/10.
        assertThat(observation.meanIdleShare()).isCloseTo((0.5 + 0 + 0.6) / 3, org.assertj.core.data.Offset.offset(1e-9));
        assertThatThrownBy(() -> PoolObservation.of("primary", WINDOW, List.of(), waits, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void settingsFromTheEnvironmentNameTheVariableAndNeverTheValue() {
        PoolAdviceSettings settings = PoolAdviceSettings.fromEnvironment(Map.of("DB_INSTANCE_COUNT", "3", "DB_SERVER_CORES", " 16 ",
                "DB_EFFECTIVE_SPINDLES", "0"));
        assertThat(settings.instances()).isEqualTo(3);
        assertThat(settings.serverCores()).contains(16);
        assertThat(settings.effectiveSpindles()).isZero();
        assertThat(PoolAdviceSettings.fromEnvironment(Map.of()).instances()).isEqualTo(1);
        assertThatThrownBy(() -> PoolAdviceSettings.fromEnvironment(Map.of("DB_INSTANCE_COUNT", "0")))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("DB_INSTANCE_COUNT:");
        assertThatThrownBy(() -> PoolAdviceSettings.fromEnvironment(Map.of("DB_SERVER_CORES", "many-secret")))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("DB_SERVER_CORES:")
                .hasMessageNotContaining("many-secret");
        assertThatThrownBy(() -> PoolAdviceSettings.builder().pendingShare(0)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("poolAdvice.pendingShare");
    }
}
