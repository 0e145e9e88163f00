package io.reactivedb.routing;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import io.reactivedb.error.DbTimeoutException;
import io.reactivedb.health.HealthComponent;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.pool.LeakDetection;
import io.reactivedb.resilience.BreakerSettings;
import io.reactivedb.resilience.FailureClassifier;
import io.reactivedb.resilience.RetrySettings;
import io.reactivedb.resilience.SlowQueryLog;
import io.reactivedb.tracing.StatementTracer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Configures a {@link ReactiveDbRouter}: {@code ReactiveDbRouter.builder(settings)...build()}.
 * Every feature is on by default with its default settings; {@link #without(RouterFeature...)} is
 * the one way to switch one off.
 */
public final class RouterBuilder {
    final ReactiveDbSettings settings;
    Scheduler scheduler = Schedulers.parallel();
    private final EnumSet<RouterFeature> off = EnumSet.noneOf(RouterFeature.class);
    @Nullable HealthSettings healthSettings = HealthSettings.defaults();
    final List<QueryListener> listeners = new ArrayList<>();
    final List<HealthComponent> healthComponents = new ArrayList<>();
    @Nullable RetrySettings retry = RetrySettings.defaults();
    @Nullable BreakerSettings breakerSettings = BreakerSettings.defaults();
    Duration queryTimeout = ReactiveDbRouter.DEFAULT_QUERY_TIMEOUT;
    @Nullable SlowQueryLog slowQueries = SlowQueryLog.defaults();
    LeakDetection leakDetection = LeakDetection.off();
    StatementTracer tracer = StatementTracer.NONE;
    boolean traceComments;
    int notificationBuffer = DEFAULT_NOTIFICATION_BUFFER;

    /** Default of {@link #notificationBuffer(int)}: 1,024 notifications per subscriber. */
    public static final int DEFAULT_NOTIFICATION_BUFFER = 1024;

    RouterBuilder(ReactiveDbSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** The scheduler for every delay, interval and timeout of the router; default {@link Schedulers#parallel()}. */
    public RouterBuilder scheduler(Scheduler scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        return this;
    }

    /** Health probing and topology tracking; default {@link HealthSettings#defaults()}. */
    public RouterBuilder health(HealthSettings healthSettings) {
        this.healthSettings = Objects.requireNonNull(healthSettings, "healthSettings");
        return this;
    }


    /**
     * Adds a component checked in every health round (for example the backups' health); its
     * state shows in {@link HealthSnapshot#components()}, and a degraded one makes the status
     * DEGRADED. Ignored when health monitoring is off.
     *
     * @throws IllegalArgumentException when a component of that name was added already
     */
    public RouterBuilder healthComponent(HealthComponent component) {
        Objects.requireNonNull(component, "component");
        if (healthComponents.stream().anyMatch(c -> c.name().equals(component.name()))) {
            throw new IllegalArgumentException("a health component named '" + component.name() + "' was added already");
        }
        healthComponents.add(component);
        return this;
    }

    /** Retry with backoff of what {@link FailureClassifier#isRetryable} allows; default {@link RetrySettings#defaults()}. */
    public RouterBuilder retry(RetrySettings retry) {
        this.retry = Objects.requireNonNull(retry, "retry");
        return this;
    }


    /** One circuit breaker per endpoint; default {@link BreakerSettings#defaults()}. */
    public RouterBuilder breakers(BreakerSettings breakers) {
        this.breakerSettings = Objects.requireNonNull(breakers, "breakers");
        return this;
    }


    /**
     * The longest a unit of work may take, from subscription to its last element, before it is
     * cancelled on the server and fails with {@link DbTimeoutException}; default
     * 30 s ({@code DB_QUERY_TIMEOUT}). Per call:
     * {@link DbOperation#timeout(Duration)}.
     */
    public RouterBuilder queryTimeout(Duration queryTimeout) {
        Objects.requireNonNull(queryTimeout, "queryTimeout");
        if (queryTimeout.isZero() || queryTimeout.isNegative()) {
            throw new ConfigurationException("DB_QUERY_TIMEOUT", "must be > 0 but was " + queryTimeout);
        }
        this.queryTimeout = queryTimeout;
        return this;
    }

    /**
     * How many notifications {@link ReactiveDbRouter#notifications(String...)} holds for each
     * subscriber that has not requested them yet; beyond it the newest are dropped for that
     * subscriber, which then gets a {@link NotificationEvent.Gap}. Default
     * {@value #DEFAULT_NOTIFICATION_BUFFER}.
     *
     * @throws IllegalArgumentException when not > 0
     */
    public RouterBuilder notificationBuffer(int notificationBuffer) {
        if (notificationBuffer <= 0) {
            throw new IllegalArgumentException("notificationBuffer must be > 0 but was " + notificationBuffer);
        }
        this.notificationBuffer = notificationBuffer;
        return this;
    }

    /** Where slow units of work are logged and kept; default {@link SlowQueryLog#defaults()}. */
    public RouterBuilder slowQueryLog(SlowQueryLog slowQueries) {
        this.slowQueries = Objects.requireNonNull(slowQueries, "slowQueries");
        return this;
    }

    /**
     * Warns about connections a unit of work or a loan (the R2DBC {@code RouterConnectionFactory}'s
     * connections included) holds longer than a threshold; default {@link LeakDetection#off()}
     * ({@code DB_LEAK_DETECTION_THRESHOLD} unset). Timed on the router's scheduler.
     */
    public RouterBuilder leakDetection(LeakDetection leakDetection) {
        this.leakDetection = Objects.requireNonNull(leakDetection, "leakDetection");
        return this;
    }

    /**
     * Applies the resilience and health variables of {@code env}: {@code DB_MAX_RETRIES},
     * {@code DB_RETRY_*}, {@code DB_CIRCUIT_BREAKER_*}, {@code DB_QUERY_TIMEOUT} (plain number:
     * milliseconds), {@code DB_SLOW_QUERY_THRESHOLD}, {@code DB_HEALTH_INTERVAL},
     * {@code DB_HEALTH_TIMEOUT}, {@code DB_MAX_REPLICA_LAG} (plain numbers: milliseconds),
     * {@code DB_LEAK_DETECTION_THRESHOLD} and {@code DB_LEAK_DETECTION_STACK_TRACE}.
     *
     * @throws ConfigurationException naming the first invalid variable
     */
    public RouterBuilder fromEnvironment(Map<String, String> env) {
        return fromEnvironment(SettingSource.of(env));
    }

    /** As {@link #fromEnvironment(Map)}, from any source; errors name the setting as the source labels it. */
    public RouterBuilder fromEnvironment(SettingSource source) {
        return source.parse(() -> {
            retry(RetrySettings.fromEnvironment(source));
            breakers(BreakerSettings.fromEnvironment(source));
            slowQueryLog(SlowQueryLog.fromEnvironment(source));
            leakDetection(LeakDetection.fromEnvironment(source));
            SettingsTable.DB_QUERY_TIMEOUT.read(source).ifPresent(this::queryTimeout);
            SettingsTable.DB_TRACE_SQL_COMMENT.read(source).ifPresent(this::traceComments);
            if (!off.contains(RouterFeature.HEALTH_MONITORING)) {
                health(HealthSettings.fromEnvironment(source));
            }
            return this;
        });
    }

    /**
     * Switches features off: {@link RouterFeature#HEALTH_MONITORING} (no probes, the configured
     * topology trusted as is, {@link ReactiveDbRouter#health()} empty), {@link RouterFeature#RETRY}
     * (every failure reaches the caller at once), {@link RouterFeature#CIRCUIT_BREAKERS},
     * {@link RouterFeature#SLOW_QUERY_LOG}. Settings given for a feature switched off are ignored.
     */
    public RouterBuilder without(RouterFeature... features) {
        for (RouterFeature feature : features) {
            off.add(Objects.requireNonNull(feature, "feature"));
        }
        return this;
    }

    /**
     * The tracer told about every statement sent for a caller (see {@link StatementTracer}); default
     * {@link StatementTracer#NONE}. {@code reactive-db-micrometer}'s {@code ObservationStatementTracer}
     * makes one Micrometer observation per statement, nested in the caller's.
     */
    public RouterBuilder statementTracer(StatementTracer tracer) {
        this.tracer = Objects.requireNonNull(tracer, "tracer");
        return this;
    }

    /**
     * Whether each traced statement is sent with its span's {@code traceparent} as a SQL comment in
     * front ({@link io.reactivedb.tracing.TraceComment}), so {@code pg_stat_activity} shows the trace
     * of a running statement; default {@code false} ({@code DB_TRACE_SQL_COMMENT}). Needs a tracer
     * that knows trace ids. Every statement text becomes unique: the driver's statement cache is of
     * no use for traced statements with parameters, each is parsed anew and displaces a cached one.
     */
    public RouterBuilder traceComments(boolean traceComments) {
        this.traceComments = traceComments;
        return this;
    }

    /** Adds a listener told about every unit of work (for example {@code ReactiveDbMetrics}). */
    public RouterBuilder queryListener(QueryListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    public ReactiveDbRouter build() {
        if (off.contains(RouterFeature.HEALTH_MONITORING)) {
            healthSettings = null;
        }
        if (off.contains(RouterFeature.RETRY)) {
            retry = null;
        }
        if (off.contains(RouterFeature.CIRCUIT_BREAKERS)) {
            breakerSettings = null;
        }
        if (off.contains(RouterFeature.SLOW_QUERY_LOG)) {
            slowQueries = null;
        }
        return new ReactiveDbRouter(this);
    }
}
