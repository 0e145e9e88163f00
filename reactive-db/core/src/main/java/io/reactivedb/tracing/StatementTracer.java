package io.reactivedb.tracing;

import reactor.util.context.ContextView;

/**
 * Told about every statement the router sends for its callers: the statements of units of work
 * ({@code DbSession.query}, {@code execute}, {@code executeBatch}, {@code statement}) and of
 * connection loans ({@code ConnectionLoan.statement}/{@code batch}, so every statement through
 * {@code RouterConnectionFactory}, Spring Data's included). The router's own round trips (BEGIN,
 * COMMIT, ROLLBACK, the WAL position after a write, resynchronisation after a cancel, health
 * probes) are not reported.
 *
 * <p>{@link #start} is called when the statement's execution is subscribed, on the subscribing
 * thread, before the statement is created on the connection; the returned span is ended exactly once
 * ({@link StatementSpan#end()}) when the reply has been read, failed, been cancelled, or the
 * connection went back to the pool. Implementations must be quick, must not block and must not
 * throw; a tracer that throws fails the statement.
 *
 * <p>The caller's trace is in {@code caller}: the Reactor Context of the statement's subscriber,
 * which carries whatever the caller's tracing put there (Micrometer's current observation under
 * {@code ObservationThreadLocalAccessor.KEY}, for example).
 */
@FunctionalInterface
public interface StatementTracer {

    /** Traces nothing; the router skips all tracing work when this is its tracer (the default). */
    StatementTracer NONE = (statement, caller) -> StatementSpan.NONE;

    /**
     * A statement is about to be sent.
     *
     * @param statement what is known of it (SQL text with placeholders, never values)
     * @param caller    the Reactor Context of the statement's subscriber
     * @return the span to end when the statement is over; {@link StatementSpan#NONE} to skip it
     */
    StatementSpan start(StatementAttributes statement, ContextView caller);
}
