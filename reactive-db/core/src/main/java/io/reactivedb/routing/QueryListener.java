package io.reactivedb.routing;

/**
 * Told about every unit of work the router ran: the hook through which
 * {@link io.reactivedb.metrics.ReactiveDbMetrics} times queries. Called on the thread that
 * terminated the work; implementations must be quick and must not block or throw.
 */
public interface QueryListener {

    /**
     * One unit of work ended: a unit the router ran, or a loan of
     * {@link ReactiveDbRouter#borrowForRead}/{@link ReactiveDbRouter#borrowForWrite} (every
     * connection use through {@code RouterConnectionFactory}), timed from its acquire to the start of
     * its release (see {@link ConnectionLoan}).
     *
     * @param endpoint  where it ran
     * @param operation the caller's name for it ({@link DbOperation}), or {@code read} / {@code write}
     *                  / {@code transaction} (a loan: {@code read} / {@code write})
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

    /**
     * Writes moved to another server (a promoted replica found by the health monitor).
     *
     * @param from          the writer before, empty when there was none (it had been lost earlier)
     * @param to            the new writer
     * @param unavailableNanos from the first sign that the old writer was failing (a write that
     *                      could not reach it, a failed probe, a stall), or from its last good round
     *                      when there was no such sign, to the moment writes go to the new one
     */
    default void onFailover(java.util.Optional<String> from, String to, long unavailableNanos) {
    }

    /** The router has shut down. */
    default void onShutdown() {
    }
}
