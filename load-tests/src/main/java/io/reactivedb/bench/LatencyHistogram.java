package io.reactivedb.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A concurrent latency histogram in nanoseconds with about 1.5 % precision: exact below 64 ns,
 * then 64 linear buckets per power of two (the layout HdrHistogram uses with two significant
 * digits). Recording is one array increment, safe from any thread; enough for p50 and p99 without
 * keeping every sample.
 */
final class LatencyHistogram {

    private static final int SUB_BUCKETS = 64;
    private static final int SUB_BITS = 6;
    /** Covers up to 2^45 ns (about 9.7 hours): far past any timeout. */
    private static final int MAX_SHIFT = 39;

    private final AtomicLongArray counts = new AtomicLongArray(SUB_BUCKETS + (MAX_SHIFT + 1) * SUB_BUCKETS);

    void record(long nanos) {
        counts.incrementAndGet(index(Math.max(0, nanos)));
    }

    static int index(long value) {
        if (value < SUB_BUCKETS) {
            return (int) value;
        }
        int shift = Math.min(63 - Long.numberOfLeadingZeros(value) - SUB_BITS, MAX_SHIFT);
        int sub = (int) Math.min(value >>> shift, 2 * SUB_BUCKETS - 1) - SUB_BUCKETS;
        return SUB_BUCKETS + shift * SUB_BUCKETS + sub;
    }

    /** The smallest value that falls into bucket {@code index}. */
    static long lowestOf(int index) {
        if (index < SUB_BUCKETS) {
            return index;
        }
        int shift = (index - SUB_BUCKETS) / SUB_BUCKETS;
        int sub = (index - SUB_BUCKETS) % SUB_BUCKETS;
        return (long) (SUB_BUCKETS + sub) << shift;
    }

    long count() {
        long total = 0;
        for (int i = 0; i < counts.length(); i++) {
            total += counts.get(i);
        }
        return total;
    }

    /** The value at quantile {@code q} (0..1), as the middle of its bucket; 0 when empty. */
    double valueAt(double q) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < counts.length(); i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                long low = lowestOf(i);
                long high = i + 1 < counts.length() ? lowestOf(i + 1) : low;
                return (low + high) / 2.0;
            }
        }
        return lowestOf(counts.length() - 1);
    }
}
