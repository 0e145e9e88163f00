package io.reactivedb.tracing;

import java.util.Optional;

/**
 * One statement being traced, from {@link StatementTracer#start}: {@link #error} at most once and
 * {@link #cancelled()} at most once, each before {@link #end()}, which is called exactly once. Calls
 * may come from any thread, one at a time.
 */
public interface StatementSpan {

    /** A span that records nothing. */
    StatementSpan NONE = new StatementSpan() {
        @Override
        public void end() {
        }
    };

    /**
     * The W3C {@code traceparent} of this span ({@code 00-<trace id>-<span id>-<flags>}), when the
     * tracer knows one: with the trace-comment setting on, the router prepends it to the statement
     * as a SQL comment ({@link TraceComment}). Asked once, right after {@link StatementTracer#start}.
     */
    default Optional<String> traceparent() {
        return Optional.empty();
    }

    /** The statement failed: the server's error (with its SQLSTATE), a lost connection, or the caller's mapping of a row. */
    default void error(Throwable error) {
    }

    /** The caller stopped reading the reply before its end (a cancel, {@code take(n)}, {@code next()}). */
    default void cancelled() {
    }

    /** The statement is over. */
    void end();
}
