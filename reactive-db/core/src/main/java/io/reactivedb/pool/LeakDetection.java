package io.reactivedb.pool;

import io.reactivedb.config.Checks;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.util.context.ContextView;

/**
 * Settings of the connection leak detector: a connection held by one unit of work or one loan
 * ({@code ConnectionLoan}, which the R2DBC {@code RouterConnectionFactory} uses) for longer than
 * {@link #threshold()} gets one WARN line (operation, endpoint, trace id when known, and where it
 * was acquired when {@link #capturesStackTraces()}); when it comes back after that, one INFO line
 * with how long it was held. Immutable.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>Setting</th><th>Variable</th><th>Form</th><th>Default</th></tr>
 *   <tr><td>{@link #threshold()}</td><td>{@code DB_LEAK_DETECTION_THRESHOLD}</td><td>duration &gt; 0, plain number in milliseconds</td><td>none: off</td></tr>
 *   <tr><td>{@link #capturesStackTraces()}</td><td>{@code DB_LEAK_DETECTION_STACK_TRACE}</td><td>boolean</td><td>false (a stack trace per acquisition is costly)</td></tr>
 * </table>
 */
public final class LeakDetection {

    private static final Function<ContextView, Optional<String>> NO_TRACE_IDS = context -> Optional.empty();
    private static final LeakDetection OFF = new LeakDetection(null, false, NO_TRACE_IDS);

    private final @Nullable Duration threshold;
    private final boolean captureStackTraces;
    private final Function<? super ContextView, Optional<String>> traceIds;

    private LeakDetection(@Nullable Duration threshold, boolean captureStackTraces, Function<? super ContextView, Optional<String>> traceIds) {
        this.threshold = threshold;
        this.captureStackTraces = captureStackTraces;
        this.traceIds = traceIds;
    }

    /** No leak detection (the default): nothing is scheduled or captured per acquisition. */
    public static LeakDetection off() {
        return OFF;
    }

    /**
     * Warns about connections held longer than {@code threshold}, without stack traces.
     *
     * @throws ConfigurationException naming {@code DB_LEAK_DETECTION_THRESHOLD} when it is not &gt; 0
     */
    public static LeakDetection after(Duration threshold) {
        return new LeakDetection(Checks.positive(SettingsTable.DB_LEAK_DETECTION_THRESHOLD.env(), "threshold", threshold), false,
                NO_TRACE_IDS);
    }

    /** From {@code DB_LEAK_DETECTION_THRESHOLD} (unset: off) and {@code DB_LEAK_DETECTION_STACK_TRACE}. */
    public static LeakDetection fromEnvironment(Map<String, String> env) {
        return fromEnvironment(SettingSource.of(env));
    }

    /** As {@link #fromEnvironment(Map)}, from any source. */
    public static LeakDetection fromEnvironment(SettingSource source) {
        Optional<Duration> threshold = SettingsTable.DB_LEAK_DETECTION_THRESHOLD.read(source);
        boolean stackTraces = SettingsTable.DB_LEAK_DETECTION_STACK_TRACE.read(source).orElse(false);
        return threshold.map(limit -> after(limit).withStackTraces(stackTraces)).orElse(OFF);
    }

    /**
     * Whether to capture, at each acquisition's subscription, a stack trace shown in the WARN as
     * where the connection was acquired. Costly (a {@link Throwable} per acquisition); ignored when off.
     */
    public LeakDetection withStackTraces(boolean capture) {
        return threshold == null ? this : new LeakDetection(threshold, capture, traceIds);
    }

    /**
     * Where the WARN finds the trace id of the work that acquired a connection: read from the Reactor
     * Context of the unit's or loan's subscription. Default: none (no trace id in the line). The seam
     * for a tracing integration; ignored when off.
     */
    public LeakDetection withTraceIds(Function<? super ContextView, Optional<String>> traceIds) {
        Objects.requireNonNull(traceIds, "traceIds");
        return threshold == null ? this : new LeakDetection(threshold, captureStackTraces, traceIds);
    }

    /** How long a connection may be held before the WARN; empty when leak detection is off. */
    public Optional<Duration> threshold() {
        return Optional.ofNullable(threshold);
    }

    /** Whether each acquisition captures a stack trace for the WARN. */
    public boolean capturesStackTraces() {
        return captureStackTraces;
    }

    /** The trace id of the work whose subscription has {@code context}, if the configured source knows one. */
    public Optional<String> traceId(ContextView context) {
        return traceIds.apply(context);
    }

    @Override
    public String toString() {
        return threshold == null ? "LeakDetection[off]"
                : "LeakDetection[threshold=" + threshold.toMillis() + " ms, stackTraces=" + captureStackTraces + "]";
    }
}
