package io.reactivedb.diagnostics;

/**
 * The sizing rule of thumb {@code cores × 2 + effective spindles} (connections a server keeps busy
 * usefully) against the server's connection budget, both shared among the application instances.
 *
 * @param maxConnections           the server's {@code max_connections}
 * @param reserved                 connections ordinary roles cannot use
 * @param instances                application instances sharing the server ({@code DB_INSTANCE_COUNT})
 * @param otherConnectionsPerInstance connections each instance holds outside the pool (the health probe)
 * @param budgetPerInstance        {@code (maxConnections − reserved) / instances − other}: the most each pool may hold
 * @param cores                    the server's cores ({@code DB_SERVER_CORES})
 * @param coresAssumed             no core count was configured; this JVM's processor count was used
 * @param effectiveSpindles        {@code DB_EFFECTIVE_SPINDLES}
 * @param ruleOfThumb              {@code cores × 2 + effective spindles}, for all instances together
 * @param ruleOfThumbPerInstance   the rule of thumb shared among the instances, at least 1
 * @param configuredMax            the pool's configured maximum
 */
public record PoolSizing(int maxConnections, int reserved, int instances, int otherConnectionsPerInstance, int budgetPerInstance,
                         int cores, boolean coresAssumed, int effectiveSpindles, int ruleOfThumb, int ruleOfThumbPerInstance,
                         int configuredMax) {

    /** The largest maximum the advice recommends: within the budget and the rule of thumb. */
    public int ceiling() {
        return Math.max(1, Math.min(budgetPerInstance, ruleOfThumbPerInstance));
    }
}
