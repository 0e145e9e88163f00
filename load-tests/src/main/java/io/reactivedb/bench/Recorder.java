package io.reactivedb.bench;

import java.util.concurrent.atomic.LongAdder;

/** What one measurement window saw: operations, errors (with the first one kept), latencies. */
final class Recorder {

    final LatencyHistogram latencies = new LatencyHistogram();
    private final LongAdder ops = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private volatile Throwable firstError;

    void success(long startedNanos) {
        latencies.record(System.nanoTime() - startedNanos);
        ops.increment();
    }

    /** Counts reported by a client that measures itself; its latency samples go to {@link #latencies} directly. */
    void add(long succeeded, long failed) {
        ops.add(succeeded);
        errors.add(failed);
    }

    void failure(Throwable error) {
        if (firstError == null) {
            firstError = error;
        }
        errors.increment();
    }

    long ops() {
        return ops.sum();
    }

    long errors() {
        return errors.sum();
    }

    Throwable firstError() {
        return firstError;
    }
}
