package io.reactivedb.routing;

/**
 * Told about every unit of work the router ran: the hook through which
 * {@link io.reactivedb.metrics.ReactiveDbMetrics} times queries. Called on the thread that
 * terminated the work; implementations must be quick and must not block or throw.
 */
public interface QueryListener {

    /**
     * One unit of work ended.
     *
     * @param endpoint  where it ran
     * @param operation the caller's name for it ({@link DbOperation}), or {@code read} / {@code write}
     *                  / {@code transaction}
     * @param outcome   {@code success}, {@code cancelled}, or the failure's kind: {@code connection},
     *                  {@code pool_exhausted}, {@code query}, {@code transaction}, {@code outcome_unknown},
     *                  {@code unavailable}, {@code client}
     * @param nanos     from subscription to termination
     */
    void onWork(Endpoint endpoint, String operation, String outcome, long nanos);

    /**
     * A failed attempt is being retried.
     *
     * @param classification {@code retryable_connection} or {@code retryable_transaction}
     */
    default void onRetry(String classification) {
    }

    /** The router has shut down. */
    default void onShutdown() {
    }
}
