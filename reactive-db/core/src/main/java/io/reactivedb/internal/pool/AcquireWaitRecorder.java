package io.reactivedb.internal.pool;

import io.reactivedb.pool.AcquireWaits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts acquire waits into the buckets of {@link AcquireWaits#BOUNDS}: one bucket search over 19
 * bounds and two adder increments per acquisition, no allocation. A read-only snapshot goes to the
 * pool tuning advice and the Micrometer binder.
 */
final class AcquireWaitRecorder {

    private static final long[] BOUND_NANOS = AcquireWaits.BOUNDS.stream().mapToLong(Duration::toNanos).toArray();

    private final LongAdder[] buckets = new LongAdder[BOUND_NANOS.length + 1];
    private final LongAdder totalNanos = new LongAdder();

    AcquireWaitRecorder() {
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    void record(long nanos) {
        long wait = Math.max(0, nanos);
        int bucket = 0;
        while (bucket < BOUND_NANOS.length && wait > BOUND_NANOS[bucket]) {
            bucket++;
        }
        buckets[bucket].increment();
        totalNanos.add(wait);
    }

    AcquireWaits snapshot() {
        // Not atomic across buckets: a snapshot taken during acquisitions may miss the newest, never
        // count one twice.
        List<Long> counts = new ArrayList<>(buckets.length);
        for (LongAdder bucket : buckets) {
            counts.add(bucket.sum());
        }
        return new AcquireWaits(AcquireWaits.BOUNDS, counts, totalNanos.sum());
    }
}
