package io.reactivedb.resilience;

import io.reactivedb.config.Checks;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import io.reactivedb.error.ErrorTranslator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.SignalType;
import reactor.core.scheduler.Scheduler;

/**
 * Records operations slower than a threshold: a WARN line with endpoint, operation, duration,
 * outcome and SQL text, and a bounded ring of the most recent ones ({@link #recent()}).
 *
 * <p>It takes SQL text only, never parameters, and describes errors by type and SQLSTATE only, since
 * a driver's message may quote a bound value. Thread-safe; the ring is guarded by a lock held only to
 * add or copy.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>Setting</th><th>Variable</th><th>Form</th><th>Default</th></tr>
 *   <tr><td>{@link #threshold()}</td><td>{@code SettingsTable.DB_SLOW_QUERY_THRESHOLD.env()}</td><td>duration &gt; 0, plain number in milliseconds</td><td>1 s</td></tr>
 *   <tr><td>{@link #capacity()}</td><td>none</td><td>integer &gt;= 1</td><td>100</td></tr>
 * </table>
 */
public final class SlowQueryLog {

    /** Default threshold: operations that take longer than 1 s are slow. */
    public static final Duration DEFAULT_THRESHOLD = Duration.ofSeconds(1);
    /** Default number of slow operations kept: 100. */
    public static final int DEFAULT_CAPACITY = 100;
    /** SQL longer than this is shortened in the log line (not in the record): 2000 characters. */
    public static final int MAX_LOGGED_SQL_LENGTH = 2000;

    private static final Logger LOG = LoggerFactory.getLogger(SlowQueryLog.class);

    private final Duration threshold;
    private final int capacity;
    private final ArrayDeque<SlowQuery> ring;

    private SlowQueryLog(Duration threshold, int capacity) {
        this.threshold = Checks.positive(SettingsTable.DB_SLOW_QUERY_THRESHOLD.env(), "threshold", threshold);
        this.capacity = Checks.atLeast("slowQueryLog.capacity", "capacity", capacity, 1);
        this.ring = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /** A log with the default threshold (1 s) and capacity (100). */
    public static SlowQueryLog defaults() {
        return new SlowQueryLog(DEFAULT_THRESHOLD, DEFAULT_CAPACITY);
    }

    /**
     * @param threshold operations that take longer are recorded; &gt; 0
     * @param capacity  how many of the most recent slow operations are kept; &gt;= 1
     * @throws ConfigurationException naming {@code SettingsTable.DB_SLOW_QUERY_THRESHOLD.env()} or the capacity
     */
    public static SlowQueryLog of(Duration threshold, int capacity) {
        return new SlowQueryLog(threshold, capacity);
    }

    /**
     * A log with the threshold of {@code SettingsTable.DB_SLOW_QUERY_THRESHOLD.env()} (default 1 s; a plain number is in
     * milliseconds) and the default capacity.
     *
     * @throws ConfigurationException naming {@code SettingsTable.DB_SLOW_QUERY_THRESHOLD.env()} when it is invalid
     */
    public static SlowQueryLog fromEnvironment(Map<String, String> env) {
        return fromEnvironment(SettingSource.of(env));
    }

    /** As {@link #fromEnvironment(Map)}, from any source. */
    public static SlowQueryLog fromEnvironment(SettingSource source) {
        return new SlowQueryLog(SettingsTable.DB_SLOW_QUERY_THRESHOLD.read(source).orElse(DEFAULT_THRESHOLD), DEFAULT_CAPACITY);
    }

    public Duration threshold() {
        return threshold;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Records the operation if it took longer than the threshold.
     *
     * @param sql the statement text with its placeholders; never put bound values here
     * @return whether it was slow, and so logged and kept
     */
    public boolean record(Instant at, String endpoint, String operation, String sql, Duration duration, String outcome) {
        Objects.requireNonNull(duration, "duration");
        if (duration.compareTo(threshold) <= 0) {
            return false;
        }
        SlowQuery slow = new SlowQuery(at, endpoint, operation, sql, duration, outcome);
        synchronized (ring) {
            ring.addFirst(slow);
            while (ring.size() > capacity) {
                ring.removeLast();
            }
        }
        if (LOG.isWarnEnabled()) {
            LOG.warn("[{}] slow {}: {} ms ({}), threshold {} ms: {}", endpoint, operation, duration.toMillis(), outcome,
                    threshold.toMillis(), sql.length() <= MAX_LOGGED_SQL_LENGTH ? sql : sql.substring(0, MAX_LOGGED_SQL_LENGTH) + "…");
        }
        return true;
    }

    /**
     * An operator for {@code transformDeferred} that times each subscription, from subscribe to
     * complete, error or cancel, with {@code scheduler.now(MILLISECONDS)}, and records it when slow.
     */
    public <T> Function<Flux<T>, Flux<T>> timed(String endpoint, String operation, String sql, Scheduler scheduler) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(sql, "sql");
        Objects.requireNonNull(scheduler, "scheduler");
        return flux -> Flux.defer(() -> {
            long start = scheduler.now(TimeUnit.MILLISECONDS);
            String[] outcome = {"cancel"};
            return flux
                    .doOnError(error -> outcome[0] = describe(error))
                    .doFinally(signal -> {
                        long end = scheduler.now(TimeUnit.MILLISECONDS);
                        String result = signal == SignalType.ON_COMPLETE ? "complete" : signal == SignalType.ON_ERROR ? outcome[0] : "cancel";
                        record(Instant.ofEpochMilli(end), endpoint, operation, sql, Duration.ofMillis(end - start), result);
                    });
        });
    }

    /** The kept slow operations, newest first; a copy. */
    public List<SlowQuery> recent() {
        synchronized (ring) {
            return List.copyOf(new ArrayList<>(ring));
        }
    }

    /** An error as type and SQLSTATE; its message may quote a bound value and is left out. */
    static String describe(Throwable error) {
        @Nullable String sqlState = ErrorTranslator.sqlStateOf(error);
        if (sqlState == null && error instanceof io.reactivedb.error.ReactiveDbException known) {
            sqlState = known.sqlState().orElse(null);
        }
        return "error " + error.getClass().getSimpleName() + (sqlState == null ? "" : " " + sqlState);
    }
}
