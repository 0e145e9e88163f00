package io.reactivedb.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The connection pool of one endpoint. r2dbc-pool sets no acquire, create or validation timeout and
 * no maximum lifetime by default; these settings set every one explicitly.
 */
public final class PoolSettings {

    /** Default connections kept open when idle ({@code DB_POOL_MIN}): 1. */
    public static final int DEFAULT_MIN_IDLE = 1;
    /** Default maximum connections per endpoint ({@code DB_POOL_SIZE + DB_MAX_OVERFLOW}): 10. */
    public static final int DEFAULT_MAX_SIZE = 10;
    /** Default wait for a free connection ({@code DB_POOL_TIMEOUT}): 30 s. */
    public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(30);
    /** Default maximum lifetime of a connection ({@code DB_POOL_RECYCLE}): 30 min. */
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofMinutes(30);
    /** Default idle time after which a connection above the minimum is closed ({@code DB_POOL_MAX_IDLE}): 10 min. */
    public static final Duration DEFAULT_MAX_IDLE_TIME = Duration.ofMinutes(10);
    /** Default time allowed for a validation round trip: 5 s. */
    public static final Duration DEFAULT_VALIDATION_TIMEOUT = Duration.ofSeconds(5);
    /** Default interval of the background eviction of idle and expired connections: 30 s. */
    public static final Duration DEFAULT_EVICTION_INTERVAL = Duration.ofSeconds(30);

    private final int minIdle;
    private final int maxSize;
    private final Duration acquireTimeout;
    private final Duration maxLifetime;
    private final Duration maxIdleTime;
    private final Optional<String> validationQuery;
    private final Duration validationTimeout;
    private final Duration evictionInterval;

    private PoolSettings(Builder b) {
        this.minIdle = b.minIdle;
        this.maxSize = b.maxSize;
        this.acquireTimeout = b.acquireTimeout;
        this.maxLifetime = b.maxLifetime;
        this.maxIdleTime = b.maxIdleTime;
        this.validationQuery = b.validationQuery;
        this.validationTimeout = b.validationTimeout;
        this.evictionInterval = b.evictionInterval;
    }

    public static PoolSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().minIdle(minIdle).maxSize(maxSize).acquireTimeout(acquireTimeout).maxLifetime(maxLifetime)
                .maxIdleTime(maxIdleTime).validationTimeout(validationTimeout).evictionInterval(evictionInterval);
        validationQuery.ifPresent(b::validationQuery);
        return b;
    }

    /** Connections opened at start (warm-up) and kept open when idle; 0 to {@link #maxSize()}. */
    public int minIdle() { return minIdle; }
    /** Upper bound of open connections; at least 1. */
    public int maxSize() { return maxSize; }
    /** Longest wait for a connection before the caller gets a pool-exhausted error. */
    public Duration acquireTimeout() { return acquireTimeout; }
    /** Connections older than this are closed when they come back or during eviction. */
    public Duration maxLifetime() { return maxLifetime; }
    /** Idle connections above {@link #minIdle()} are closed after this long. */
    public Duration maxIdleTime() { return maxIdleTime; }
    /**
     * A query run on every acquire (one round trip each time). Empty (the default) validates
     * locally: the socket must be open, which catches servers that closed the connection.
     */
    public Optional<String> validationQuery() { return validationQuery; }
    public Duration validationTimeout() { return validationTimeout; }
    public Duration evictionInterval() { return evictionInterval; }

    @Override
    public String toString() {
        return "PoolSettings[minIdle=" + minIdle + ", maxSize=" + maxSize + ", acquireTimeout=" + acquireTimeout
                + ", maxLifetime=" + maxLifetime + ", maxIdleTime=" + maxIdleTime + ", validationQuery="
                + validationQuery.orElse("<local>") + ", validationTimeout=" + validationTimeout
                + ", evictionInterval=" + evictionInterval + "]";
    }

    /** Builds {@link PoolSettings}; each setter checks its argument, {@link #build()} the relations. */
    public static final class Builder {
        private int minIdle = DEFAULT_MIN_IDLE;
        private int maxSize = DEFAULT_MAX_SIZE;
        private Duration acquireTimeout = DEFAULT_ACQUIRE_TIMEOUT;
        private Duration maxLifetime = DEFAULT_MAX_LIFETIME;
        private Duration maxIdleTime = DEFAULT_MAX_IDLE_TIME;
        private Optional<String> validationQuery = Optional.empty();
        private Duration validationTimeout = DEFAULT_VALIDATION_TIMEOUT;
        private Duration evictionInterval = DEFAULT_EVICTION_INTERVAL;

        private Builder() {
        }

        public Builder minIdle(int minIdle) {
            this.minIdle = Checks.atLeast("DB_POOL_MIN", minIdle, 0);
            return this;
        }

        public Builder maxSize(int maxSize) {
            this.maxSize = Checks.atLeast("DB_POOL_SIZE", maxSize, 1);
            return this;
        }

        public Builder acquireTimeout(Duration acquireTimeout) {
            this.acquireTimeout = Checks.positive("DB_POOL_TIMEOUT", acquireTimeout);
            return this;
        }

        public Builder maxLifetime(Duration maxLifetime) {
            this.maxLifetime = Checks.positive("DB_POOL_RECYCLE", maxLifetime);
            return this;
        }

        public Builder maxIdleTime(Duration maxIdleTime) {
            this.maxIdleTime = Checks.positive("DB_POOL_MAX_IDLE", maxIdleTime);
            return this;
        }

        public Builder validationQuery(String validationQuery) {
            Objects.requireNonNull(validationQuery, "validationQuery");
            this.validationQuery = validationQuery.isBlank() ? Optional.empty() : Optional.of(validationQuery.trim());
            return this;
        }

        public Builder validationTimeout(Duration validationTimeout) {
            this.validationTimeout = Checks.positive("pool.validationTimeout", validationTimeout);
            return this;
        }

        public Builder evictionInterval(Duration evictionInterval) {
            this.evictionInterval = Checks.positive("pool.evictionInterval", evictionInterval);
            return this;
        }

        public PoolSettings build() {
            if (minIdle > maxSize) {
                throw new ConfigurationException("DB_POOL_MIN", "must be <= the maximum pool size " + maxSize + " but was " + minIdle);
            }
            return new PoolSettings(this);
        }
    }
}
