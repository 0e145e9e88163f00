package io.reactivedb.web.autoconfigure;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.reactivedb.metrics.ReactiveDbMetrics;
import java.util.Collection;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Query counters for health output, read from the router's Micrometer meters (nothing counted
 * twice): every {@value ReactiveDbMetrics#QUERY} timer summed over its tags, the failures among
 * them, the slow ones ({@value SlowQueryCounter#NAME}), the mean, and the 99th percentile from
 * the timers' histogram buckets (an upper bound: the bucket the 99th percentile falls in).
 */
public final class QueryStatistics {

    /** Outcomes that are not failures. */
    private static final Set<String> NOT_FAILED = Set.of("success", "cancelled");

    private final MeterRegistry registry;

    public QueryStatistics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Counters since the start; times in milliseconds; mean and p99 are 0 before any query. */
    public record Snapshot(long total, long slow, long failed, double meanMillis, double p99Millis) {
    }

    public Snapshot snapshot() {
        Collection<Timer> timers = registry.find(ReactiveDbMetrics.QUERY).timers();
        long total = 0;
        long failed = 0;
        double totalMillis = 0;
        // Cumulative bucket counts merged over every timer (they share the default boundaries).
        TreeMap<Double, Double> buckets = new TreeMap<>();
        for (Timer timer : timers) {
            long count = timer.count();
            total += count;
            totalMillis += timer.totalTime(TimeUnit.MILLISECONDS);
            if (!NOT_FAILED.contains(String.valueOf(timer.getId().getTag("outcome")))) {
                failed += count;
            }
            HistogramSnapshot histogram = timer.takeSnapshot();
            for (CountAtBucket bucket : histogram.histogramCounts()) {
                buckets.merge(bucket.bucket(TimeUnit.MILLISECONDS), bucket.count(), Double::sum);
            }
        }
        long slow = (long) registry.find(SlowQueryCounter.NAME).counters().stream().mapToDouble(Counter::count).sum();
        return new Snapshot(total, slow, failed, total == 0 ? 0 : totalMillis / total, percentile(buckets, total, 0.99));
    }

    private static double percentile(TreeMap<Double, Double> cumulative, long total, double quantile) {
        if (total == 0) {
            return 0;
        }
        double rank = Math.ceil(quantile * total);
        for (var bucket : cumulative.entrySet()) {
            if (bucket.getValue() >= rank) {
                return bucket.getKey();
            }
        }
        return cumulative.isEmpty() ? 0 : cumulative.lastKey();
    }
}
