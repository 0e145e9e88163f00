package io.reactivedb.diagnostics;

import io.reactivedb.config.PoolSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Turns what a pool did ({@link PoolObservation}) into typed recommendations. Pure: no I/O, no clock.
 *
 * <p>The rules, in order:
 * <ol>
 *   <li><b>Lower min idle</b>: with no pressure (below), the mean idle share reaches
 *       {@link PoolAdviceSettings#idleShare()} and the peak in use stayed below the minimum: the
 *       minimum becomes that peak.</li>
 *   <li><b>Lower max size</b> (over budget): instances × maximum exceed the connections the server
 *       gives ordinary roles ({@link PoolSizing#budgetPerInstance()}); the budget is suggested.</li>
 *   <li>Under <b>pressure</b> (an acquire timeout in the window, waiting callers in at least
 *       {@link PoolAdviceSettings#pendingShare()} of the samples, or a p99 acquire wait of at least
 *       {@link PoolAdviceSettings#waitThreshold()}): <b>increase max size</b> by the peak number of
 *       waiting callers (at least 1) up to the ceiling, the smaller of the budget and the rule of thumb
 *       {@code cores × 2 + effective spindles} per instance; a pool already at the ceiling that saw
 *       acquire timeouts gets <b>raise acquire timeout</b> (doubled) instead: more connections than the
 *       server has cores for only slow every query down.</li>
 *   <li>Without pressure, after at least {@link PoolAdviceSettings#minAcquisitions()} acquisitions,
 *       a peak in use of at most {@link PoolAdviceSettings#lowUtilisation()} of the maximum:
 *       <b>lower max size</b> to the peak divided by that share (not below the minimum, at least 1).</li>
 * </ol>
 */
public final class PoolAdvisor {

    private PoolAdvisor() {
    }

    /**
     * @param pool                        the pool's configuration
     * @param capacity                    the server's connection limit; null when unknown (no budget then)
     * @param otherConnectionsPerInstance connections each instance holds outside the pool (1 for the health probe)
     */
    public static PoolAdvice advise(PoolObservation observation, PoolSettings pool, @Nullable ServerCapacity capacity,
                                    PoolAdviceSettings settings, int otherConnectionsPerInstance) {
        Objects.requireNonNull(observation, "observation");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(settings, "settings");
        int max = pool.maxSize();
        int minIdle = pool.minIdle();
        int cores = settings.serverCores().orElseGet(() -> Runtime.getRuntime().availableProcessors());
        int ruleOfThumb = cores * 2 + settings.effectiveSpindles();
        int ruleOfThumbPerInstance = Math.max(1, ceilDiv(ruleOfThumb, settings.instances()));
        Optional<PoolSizing> sizing = Optional.ofNullable(capacity).map(c -> new PoolSizing(c.maxConnections(), c.reserved(),
                settings.instances(), otherConnectionsPerInstance,
                (c.maxConnections() - c.reserved()) / settings.instances() - otherConnectionsPerInstance,
                cores, settings.serverCores().isEmpty(), settings.effectiveSpindles(), ruleOfThumb, ruleOfThumbPerInstance, max));
        int ceiling = sizing.map(PoolSizing::ceiling).orElse(ruleOfThumbPerInstance);

        String endpoint = observation.endpoint();
        List<String> pressure = pressure(observation, settings);
        List<PoolRecommendation> recommendations = new ArrayList<>();

        int minIdleAfter = minIdle;
        if (minIdle > 0 && pressure.isEmpty() && observation.meanIdleShare() >= settings.idleShare() && observation.peakAcquired() < minIdle) {
            minIdleAfter = observation.peakAcquired();
            recommendations.add(new PoolRecommendation.LowerMinIdle(endpoint, minIdle, minIdleAfter, String.format(Locale.ROOT,
                    "on average %s of the open connections were idle (threshold %s) and at most %d were in use at once,"
                            + " below the minimum of %d kept open", percent(observation.meanIdleShare()), percent(settings.idleShare()),
                    observation.peakAcquired(), minIdle), observation));
        }

        if (sizing.isPresent() && max > sizing.get().budgetPerInstance()) {
            PoolSizing s = sizing.get();
            recommendations.add(new PoolRecommendation.LowerMaxSize(endpoint, max, Math.max(1, s.budgetPerInstance()), String.format(Locale.ROOT,
                    "%d instance(s) × (%d pooled + %d other) connections = %d exceed the %d the server gives ordinary roles"
                            + " (max_connections %d − %d reserved)", s.instances(), max, s.otherConnectionsPerInstance(),
                    s.instances() * (max + s.otherConnectionsPerInstance()), s.maxConnections() - s.reserved(), s.maxConnections(),
                    s.reserved()), observation));
        } else if (!pressure.isEmpty()) {
            String evidence = String.join(", ", pressure);
            if (max < ceiling) {
                int suggested = Math.min(ceiling, max + Math.max(1, observation.peakPending()));
                recommendations.add(new PoolRecommendation.IncreaseMaxSize(endpoint, max, suggested, evidence
                        + String.format(Locale.ROOT, "; the pool may grow to %d (%s)", ceiling, ceilingReason(sizing, ruleOfThumbPerInstance)),
                        observation));
            } else if (observation.acquireTimeouts() > 0) {
                Duration current = pool.acquireTimeout();
                recommendations.add(new PoolRecommendation.RaiseAcquireTimeout(endpoint, current, current.multipliedBy(2), evidence
                        + String.format(Locale.ROOT, "; the pool is at its ceiling of %d (%s): let callers queue longer instead",
                        ceiling, ceilingReason(sizing, ruleOfThumbPerInstance)), observation));
            }
        } else if (observation.acquisitions() >= settings.minAcquisitions() && observation.peakAcquired() <= settings.lowUtilisation() * max) {
            int suggested = Math.max(Math.max(1, minIdleAfter), (int) Math.ceil(observation.peakAcquired() / settings.lowUtilisation()));
            if (suggested < max) {
                recommendations.add(new PoolRecommendation.LowerMaxSize(endpoint, max, suggested, String.format(Locale.ROOT,
                        "at most %d of %d connections were in use at once over %d acquisitions (%s of the maximum, threshold %s),"
                                + " with no caller waiting", observation.peakAcquired(), max, observation.acquisitions(),
                        percent((double) observation.peakAcquired() / max), percent(settings.lowUtilisation())), observation));
            }
        }
        return new PoolAdvice(endpoint, observation, sizing, recommendations);
    }

    /** The signs that callers wait for connections, in words; empty when there are none. */
    private static List<String> pressure(PoolObservation observation, PoolAdviceSettings settings) {
        List<String> signs = new ArrayList<>();
        if (observation.acquireTimeouts() > 0) {
            signs.add(observation.acquireTimeouts() + " acquire timeout(s)");
        }
        if (observation.peakPending() > 0 && observation.pendingShare() >= settings.pendingShare()) {
            signs.add(String.format(Locale.ROOT, "callers waiting in %s of the samples (threshold %s, peak %d)",
                    percent(observation.pendingShare()), percent(settings.pendingShare()), observation.peakPending()));
        }
        if (observation.acquisitions() > 0 && observation.acquireWaitP99().compareTo(settings.waitThreshold()) >= 0) {
            signs.add(String.format(Locale.ROOT, "p99 acquire wait up to %d ms (threshold %d ms)",
                    observation.acquireWaitP99().toMillis(), settings.waitThreshold().toMillis()));
        }
        return signs;
    }

    private static String ceilingReason(Optional<PoolSizing> sizing, int ruleOfThumbPerInstance) {
        String rule = "rule of thumb cores × 2 + effective spindles: " + ruleOfThumbPerInstance + " per instance";
        return sizing.map(s -> rule + "; connection budget " + s.budgetPerInstance() + " per instance")
                .orElse(rule + "; connection budget unknown");
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    private static int ceilDiv(int dividend, int divisor) {
        return -Math.floorDiv(-dividend, divisor);
    }
}
