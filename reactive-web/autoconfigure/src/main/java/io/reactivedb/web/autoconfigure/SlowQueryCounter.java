package io.reactivedb.web.autoconfigure;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.reactivedb.routing.Endpoint;
import io.reactivedb.routing.QueryListener;
import java.time.Duration;

/**
 * Counts units of work slower than the slow-query threshold in the Micrometer counter
 * {@value #NAME} (the slow-query log itself keeps only the newest hundred).
 */
final class SlowQueryCounter implements QueryListener {

    static final String NAME = "reactivedb.query.slow";

    private final long thresholdNanos;
    private final Counter counter;
    private final MeterRegistry registry;

    SlowQueryCounter(MeterRegistry registry, Duration threshold) {
        this.registry = registry;
        this.thresholdNanos = threshold.toNanos();
        this.counter = Counter.builder(NAME).description("Units of work slower than the slow-query threshold").register(registry);
    }

    @Override
    public void onWork(Endpoint endpoint, String operation, String outcome, long nanos) {
        if (nanos >= thresholdNanos) {
            counter.increment();
        }
    }

    @Override
    public void onShutdown() {
        registry.remove(counter);
    }
}
