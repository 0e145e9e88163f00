package io.reactivedb.pool;

/**
 * A snapshot of one endpoint's pool.
 *
 * @param acquired        connections handed out and not yet returned
 * @param idle            open connections waiting in the pool
 * @param pending         callers waiting for a connection
 * @param allocated       open connections, acquired or idle
 * @param max             the pool's upper bound of open connections
 * @param acquireTimeouts callers that gave up waiting since the pool started (pool exhausted)
 */
public record PoolStatistics(int acquired, int idle, int pending, int allocated, int max, long acquireTimeouts) {

    /**
     * Every connection slot is lent out and callers are queued: a new acquisition waits for a
     * release. The router reads elsewhere when it can, and health is DEGRADED while it lasts.
     */
    public boolean saturated() {
        return max > 0 && pending > 0 && acquired >= max;
    }

    /** {@code acquired=3, idle=1, pending=0, allocated=4, max=10, acquireTimeouts=0}: for messages. */
    public String describe() {
        return "acquired=" + acquired + ", idle=" + idle + ", pending=" + pending + ", allocated=" + allocated
                + ", max=" + max + ", acquireTimeouts=" + acquireTimeouts;
    }
}
