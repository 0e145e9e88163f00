package io.reactivedb.routing;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.tracing.StatementAttributes;
import io.reactivedb.tracing.StatementSpan;
import io.reactivedb.tracing.StatementTracer;
import io.reactivedb.tracing.TraceComment;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.util.context.ContextView;

/**
 * The tracing of one {@link Lease}: what its statements' spans share (endpoint, role, consistency,
 * attempt), the acquire wait (told with the first statement only), and the statement runs still
 * open, ended at the latest when the lease is released: replies come in order, so a statement that
 * ended ends every one started before it whose reply its reader never finished.
 */
final class LeaseTracing {

    private final StatementTracer tracer;
    private final boolean comments;
    private final EndpointSettings endpoint;
    private final String role;
    private final String consistency;
    private final int attempt;
    private final AtomicBoolean waitTold = new AtomicBoolean();
    private final Duration acquireWait;
    private final AtomicReference<@Nullable StatementRun> last = new AtomicReference<>();

    LeaseTracing(StatementTracer tracer, boolean comments, EndpointSettings endpoint, String role, String consistency, int attempt,
                 long acquireWaitNanos) {
        this.tracer = tracer;
        this.comments = comments;
        this.endpoint = endpoint;
        this.role = role;
        this.consistency = consistency;
        this.attempt = attempt;
        this.acquireWait = Duration.ofNanos(Math.max(0, acquireWaitNanos));
    }

    /** A statement on {@code connection} whose execution is traced. */
    Statement statement(Connection connection, String sql) {
        return new TracedStatement(this, connection, sql);
    }

    /** A batch on {@code connection} whose execution is traced. */
    Batch batch(Connection connection) {
        return new TracedBatch(this, connection);
    }

    /**
     * Runs an execution as one traced statement: the span starts at subscription, {@code execution}
     * gets the SQL to send (with the trace comment when that is on) and the span ends with the reply.
     */
    Flux<Result> traced(String sql, String operation, int batchSize, Function<String, Publisher<? extends Result>> execution) {
        return Flux.deferContextual(caller -> {
            StatementSpan span = tracer.start(attributes(sql, operation, batchSize), caller);
            StatementRun run = new StatementRun(span);
            run.after(last.getAndSet(run));
            Publisher<? extends Result> results;
            try {
                results = execution.apply(comments ? span.traceparent().map(parent -> TraceComment.prepend(parent, sql)).orElse(sql) : sql);
            } catch (RuntimeException error) {
                run.failed(error);
                throw error;
            }
            return Flux.<Result>from(results)
                    .map(run::track)
                    .doOnComplete(run::allEmitted)
                    .doOnError(run::failed)
                    .doOnCancel(run::emissionCancelled);
        });
    }

    /** The lease is being released: a statement whose reply was never read to its end ends here. */
    void leaseEnded() {
        StatementRun run = last.getAndSet(null);
        if (run != null) {
            run.finish();
        }
    }

    private StatementAttributes attributes(String sql, String operation, int batchSize) {
        Optional<Duration> wait = waitTold.compareAndSet(false, true) ? Optional.of(acquireWait) : Optional.empty();
        return new StatementAttributes(endpoint.database(), operation, sql, endpoint.host(), endpoint.port(), endpoint.name(), role,
                consistency, attempt, batchSize, wait);
    }
}
