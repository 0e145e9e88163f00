package io.reactivedb.routing;

import io.r2dbc.spi.Result;
import io.reactivedb.tracing.StatementSpan;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One traced execution and its span: over once the execution has emitted its results and each was
 * read to its end, at the first error, at a cancel of its reading, or when {@link #finish()} is
 * called (a later statement's reply ended, or the lease is released). The span is ended exactly once.
 * Ending one run ends the run started before it on the same lease: replies come in order.
 */
final class StatementRun {

    private final StatementSpan span;
    /** Results emitted and not yet read to their end, plus one while the execution may emit more. */
    private final AtomicInteger open = new AtomicInteger(1);
    private final AtomicBoolean emissionEnded = new AtomicBoolean();
    private final AtomicBoolean over = new AtomicBoolean();
    private volatile boolean anyEmitted;
    private volatile @Nullable StatementRun previous;

    StatementRun(StatementSpan span) {
        this.span = span;
    }

    /** {@code before} was started before this run on the same lease: it ends, at the latest, when this one's reply has. */
    void after(@Nullable StatementRun before) {
        previous = before;
    }

    Result track(Result result) {
        open.incrementAndGet();
        anyEmitted = true;
        return new TracedResult(result, this);
    }

    /** The execution emitted its last result. */
    void allEmitted() {
        if (emissionEnded.compareAndSet(false, true)) {
            settleOne();
        }
    }

    /** The reader cancelled the execution: after a result it has what it asked for, before one it gave up. */
    void emissionCancelled() {
        if (anyEmitted) {
            allEmitted();
        } else {
            cancelled();
        }
    }

    /** A result was read to its end. */
    void resultRead() {
        settleOne();
    }

    /** The reader stopped reading a result part way. */
    void cancelled() {
        if (over.compareAndSet(false, true)) {
            // Nothing is known of the replies before: they are ended by a later reply or the release.
            span.cancelled();
            span.end();
        }
    }

    void failed(Throwable error) {
        if (!over.get()) {
            span.error(error);
            finish();
        }
    }

    /** Ends the span (once) and the runs before it (the server answered: so it did to everything sent before). */
    void finish() {
        if (over.compareAndSet(false, true)) {
            span.end();
        }
        StatementRun before = previous;
        previous = null;
        if (before != null) {
            before.finish();
        }
    }

    private void settleOne() {
        if (open.decrementAndGet() == 0) {
            finish();
        }
    }
}
