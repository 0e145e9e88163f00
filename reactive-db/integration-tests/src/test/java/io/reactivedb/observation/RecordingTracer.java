package io.reactivedb.observation;

import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationView;
import io.micrometer.observation.transport.SenderContext;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A stand-in for Micrometer Tracing (not in the offline repository) as an observation handler: each
 * observation gets a span id and its parent's trace id (a new one without a parent), a sender
 * context gets the W3C {@code traceparent} written into its carrier on start, as Micrometer
 * Tracing's propagating sender handler does, and every stopped observation is kept as a {@link Span}.
 */
final class RecordingTracer implements ObservationHandler<Observation.Context> {

    /** A finished observation, as a tracer would export it. */
    record Span(String name, String contextualName, String traceId, String spanId, @Nullable String parentSpanId,
                Map<String, String> lowCardinality, Map<String, String> highCardinality, List<String> events, @Nullable Throwable error) {

        String traceparent() {
            return "00-" + traceId + "-" + spanId + "-01";
        }

        /** Everything a tracer exports of it, as text. */
        String exported() {
            return name + " " + contextualName + " " + lowCardinality + " " + highCardinality + " " + events + " " + error;
        }
    }

    private record Ids(String traceId, String spanId, List<String> events) {
    }

    final ConcurrentLinkedQueue<Span> finished = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Observation.Context> started = new ConcurrentLinkedQueue<>();

    @Override
    public boolean supportsContext(Observation.Context context) {
        return true;
    }

    @Override
    public void onStart(Observation.Context context) {
        Ids parent = parentIds(context);
        Ids ids = new Ids(parent == null ? hex(16) : parent.traceId(), hex(8), new ArrayList<>());
        context.put(Ids.class, ids);
        if (context instanceof SenderContext<?> sender && sender.getCarrier() != null) {
            inject(sender, "traceparent", "00-" + ids.traceId() + "-" + ids.spanId() + "-01");
        }
        started.add(context);
    }

    @Override
    public void onEvent(Observation.Event event, Observation.Context context) {
        Ids ids = context.get(Ids.class);
        synchronized (ids.events()) {
            ids.events().add(event.getName() + ": " + event.getContextualName());
        }
    }

    @Override
    public void onStop(Observation.Context context) {
        Ids ids = context.getRequired(Ids.class);
        Ids parent = parentIds(context);
        List<String> events;
        synchronized (ids.events()) {
            events = List.copyOf(ids.events());
        }
        finished.add(new Span(context.getName(), String.valueOf(context.getContextualName()), ids.traceId(), ids.spanId(),
                parent == null ? null : parent.spanId(), values(context.getLowCardinalityKeyValues()),
                values(context.getHighCardinalityKeyValues()), events, context.getError()));
    }

    /** The traceparent the tracer gave the observation of {@code context}, started and maybe not yet stopped. */
    static String traceparentOf(Observation.Context context) {
        Ids ids = context.getRequired(Ids.class);
        return "00-" + ids.traceId() + "-" + ids.spanId() + "-01";
    }

    @SuppressWarnings("unchecked")
    private static <C> void inject(SenderContext<C> sender, String key, String value) {
        sender.getSetter().set(sender.getCarrier(), key, value);
    }

    private static @Nullable Ids parentIds(Observation.Context context) {
        ObservationView parent = context.getParentObservation();
        return parent == null ? null : parent.getContextView().get(Ids.class);
    }

    private static Map<String, String> values(Iterable<KeyValue> keyValues) {
        Map<String, String> values = new TreeMap<>();
        keyValues.forEach(keyValue -> values.put(keyValue.getKey(), keyValue.getValue()));
        return values;
    }

    private static String hex(int bytes) {
        byte[] random = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }
}
