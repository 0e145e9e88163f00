package io.reactivedb.bench;

import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Stands in for a tracer sampling every span, for the {@code router-traced} client: on start it
 * draws a span id and notes the time, on stop it reads every key value and event as an exporter
 * would and counts the span. It exports nothing, so the figure is the router's observation cost
 * plus a tracer's bookkeeping, not a network exporter's.
 */
final class SpanRecorder implements ObservationHandler<Observation.Context> {

    private static final String STARTED = SpanRecorder.class.getName() + ".started";

    private final LongAdder spans = new LongAdder();
    private final LongAdder exportedChars = new LongAdder();

    @Override
    public boolean supportsContext(Observation.Context context) {
        return true;
    }

    @Override
    public void onStart(Observation.Context context) {
        context.put(STARTED, new long[] {System.nanoTime(), ThreadLocalRandom.current().nextLong()});
    }

    @Override
    public void onStop(Observation.Context context) {
        long[] started = context.getRequired(STARTED);
        long chars = Long.toHexString(started[1]).length() + Long.toString(System.nanoTime() - started[0]).length();
        for (KeyValue value : context.getAllKeyValues()) {
            chars += value.getKey().length() + value.getValue().length();
        }
        exportedChars.add(chars);
        spans.increment();
    }

    /** Spans finished so far. */
    long spans() {
        return spans.sum();
    }
}
