package io.reactivedb.routing;

import io.reactivedb.internal.resilience.RetryOperator;
import io.reactivedb.tracing.StatementTracer;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import reactor.util.context.ContextView;

/**
 * The router's statement tracing: its {@link StatementTracer} and whether statements carry the trace
 * comment ({@code DB_TRACE_SQL_COMMENT}). Hands each lease its {@link LeaseTracing}, or none when
 * the tracer is {@link StatementTracer#NONE}, so an untraced router does no tracing work at all.
 */
final class StatementTracing {

    static final StatementTracing OFF = new StatementTracing(StatementTracer.NONE, false);

    private final StatementTracer tracer;
    private final boolean comments;

    StatementTracing(StatementTracer tracer, boolean comments) {
        this.tracer = tracer;
        this.comments = comments;
    }

    /**
     * The tracing of a unit's attempt on {@code endpoint}.
     *
     * @param context          the attempt's Reactor Context (the retry's attempt number)
     * @param consistency      the read consistency of a read; null for the writer's work
     * @param acquireStartNanos {@link System#nanoTime()} when the attempt began to acquire
     */
    @Nullable LeaseTracing forUnit(Endpoint endpoint, boolean onWriter, @Nullable ReadConsistency consistency, ContextView context,
                                   long acquireStartNanos) {
        if (tracer == StatementTracer.NONE) {
            return null;
        }
        return new LeaseTracing(tracer, comments, endpoint.settings(), onWriter ? "primary" : "replica", consistencyName(consistency),
                RetryOperator.attemptOf(context), System.nanoTime() - acquireStartNanos);
    }

    /** The tracing of a loan ({@link ConnectionLoan}): never retried, so attempt 1. */
    @Nullable LeaseTracing forLoan(Endpoint endpoint, boolean onWriter, @Nullable ReadConsistency consistency, long acquireStartNanos) {
        if (tracer == StatementTracer.NONE) {
            return null;
        }
        return new LeaseTracing(tracer, comments, endpoint.settings(), onWriter ? "primary" : "replica", consistencyName(consistency), 1,
                System.nanoTime() - acquireStartNanos);
    }

    boolean enabled() {
        return tracer != StatementTracer.NONE;
    }

    /** {@code strong}, {@code read_your_writes}, {@code bounded_staleness}, {@code eventual}; {@code strong} for the writer's work. */
    static String consistencyName(@Nullable ReadConsistency consistency) {
        return consistency == null ? "strong" : consistency.level().name().toLowerCase(Locale.ROOT);
    }
}
