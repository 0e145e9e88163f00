package io.reactivedb.pool;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How long callers waited for a connection of one pool: a histogram over fixed buckets, counted
 * since the pool started. Only acquisitions that got a connection are counted; callers that gave up
 * are {@link PoolStatistics#acquireTimeouts()}. Subtract an earlier snapshot with
 * {@link #since(AcquireWaits)} to look at a window.
 *
 * @param bounds     the upper bound of each bucket but the last, ascending
 * @param counts     acquisitions per bucket: {@code counts[i]} waited at most {@code bounds[i]} (and more than
 *                   {@code bounds[i-1]}); the last bucket holds the waits longer than every bound
 * @param totalNanos the sum of all waits
 */
public record AcquireWaits(List<Duration> bounds, List<Long> counts, long totalNanos) {

    /** Bucket bounds: 50 µs to 60 s, roughly 1-2.5-5 per decade. */
    public static final List<Duration> BOUNDS = List.of(
            Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
            Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofSeconds(60));

    public AcquireWaits {
        bounds = List.copyOf(bounds);
        counts = List.copyOf(counts);
        if (counts.size() != bounds.size() + 1) {
            throw new IllegalArgumentException("counts must have one bucket more than bounds (" + bounds.size()
                    + ") but had " + counts.size());
        }
    }

    /** No acquisition yet, over {@link #BOUNDS}. */
    public static AcquireWaits empty() {
        return new AcquireWaits(BOUNDS, java.util.Collections.nCopies(BOUNDS.size() + 1, 0L), 0);
    }

    /** Acquisitions counted. */
    public long count() {
        long total = 0;
        for (long count : counts) {
            total += count;
        }
        return total;
    }

    /** The mean wait; zero without acquisitions. */
    public Duration mean() {
        long count = count();
        return count == 0 ? Duration.ZERO : Duration.ofNanos(totalNanos / count);
    }

    /**
     * The upper bound of the bucket that holds the {@code quantile} (for example {@code 0.99}): the
     * true value is at most this. Zero without acquisitions; for the last, unbounded bucket the
     * largest bound.
     *
     * @throws IllegalArgumentException when {@code quantile} is not in (0, 1]
     */
    public Duration percentile(double quantile) {
        if (!(quantile > 0 && quantile <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1] but was " + quantile);
        }
        long count = count();
        if (count == 0) {
            return Duration.ZERO;
        }
        long rank = (long) Math.ceil(quantile * count);
        long seen = 0;
        for (int i = 0; i < bounds.size(); i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return bounds.get(i);
            }
        }
        return bounds.get(bounds.size() - 1);
    }

    /**
     * The acquisitions after {@code earlier}, a snapshot of the same pool taken before this one.
     *
     * @throws IllegalArgumentException when the buckets differ or {@code earlier} is not earlier
     */
    public AcquireWaits since(AcquireWaits earlier) {
        Objects.requireNonNull(earlier, "earlier");
        if (!earlier.bounds.equals(bounds)) {
            throw new IllegalArgumentException("snapshots with different buckets");
        }
        Long[] delta = new Long[counts.size()];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = counts.get(i) - earlier.counts.get(i);
            if (delta[i] < 0) {
                throw new IllegalArgumentException("the earlier snapshot has more acquisitions in bucket " + i);
            }
        }
        return new AcquireWaits(bounds, List.of(delta), totalNanos - earlier.totalNanos);
    }
}
