package io.reactivedb.routing;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import io.reactivedb.error.DbTimeoutException;
import io.reactivedb.health.HealthComponent;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.resilience.BreakerSettings;
import io.reactivedb.resilience.FailureClassifier;
import io.reactivedb.resilience.RetrySettings;
import io.reactivedb.resilience.SlowQueryLog;
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
     * Applies the resilience and health variables of {@code env}: {@code DB_MAX_RETRIES},
     * {@code DB_RETRY_*}, {@code DB_CIRCUIT_BREAKER_*}, {@code DB_QUERY_TIMEOUT} (plain number:
     * milliseconds), {@code DB_SLOW_QUERY_THRESHOLD}, {@code DB_HEALTH_INTERVAL},
     * {@code DB_HEALTH_TIMEOUT}, {@code DB_MAX_REPLICA_LAG} (plain numbers: milliseconds).
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
            SettingsTable.DB_QUERY_TIMEOUT.read(source).ifPresent(this::queryTimeout);
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
