package io.reactivedb.health;

import io.reactivedb.config.ConfigurationException;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/** How often and how long the monitor probes, and when a replica counts as lagging. */
public final class HealthSettings {

    /** Default time between probe rounds ({@code DB_HEALTH_INTERVAL}): 5 s. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    /** Default bound on one probe, connect included ({@code DB_HEALTH_TIMEOUT}): 2 s. */
    public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(2);
    /** Default replay lag in time over which a replica leaves the read rotation ({@code DB_MAX_REPLICA_LAG}): 10 s. */
    public static final Duration DEFAULT_MAX_LAG = Duration.ofSeconds(10);
    /** Default consecutive failed probes before an endpoint counts as down ({@code DB_HEALTH_FAILURES_BEFORE_DOWN}): 2. */
    public static final int DEFAULT_FAILURES_BEFORE_DOWN = 2;
    /** Default per-subscriber event buffer; when full the oldest event is dropped: 256. */
    public static final int DEFAULT_SUBSCRIBER_BUFFER = 256;

    private final Duration interval;
    private final Duration probeTimeout;
    private final Duration maxLag;
    private final OptionalLong maxLagBytes;
    private final int subscriberBuffer;
    private final int failuresBeforeDown;

    private HealthSettings(Builder b) {
        this.failuresBeforeDown = b.failuresBeforeDown;
        this.interval = b.interval;
        this.probeTimeout = b.probeTimeout;
        this.maxLag = b.maxLag;
        this.maxLagBytes = b.maxLagBytes;
        this.subscriberBuffer = b.subscriberBuffer;
    }

    public static HealthSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads {@code DB_HEALTH_INTERVAL}, {@code DB_HEALTH_TIMEOUT}, {@code DB_MAX_REPLICA_LAG}
     * (plain numbers: milliseconds), {@code DB_MAX_REPLICA_LAG_BYTES} and
     * {@code DB_HEALTH_FAILURES_BEFORE_DOWN}; unset names keep their defaults.
     *
     * @throws ConfigurationException naming the invalid variable
     */
    public static HealthSettings fromEnvironment(java.util.Map<String, String> env) {
        Builder b = builder();
        String value;
        if ((value = present(env, "DB_HEALTH_INTERVAL")) != null) {
            b.interval(io.reactivedb.config.Durations.parse("DB_HEALTH_INTERVAL", value, java.time.temporal.ChronoUnit.MILLIS));
        }
        if ((value = present(env, "DB_HEALTH_TIMEOUT")) != null) {
            b.probeTimeout(io.reactivedb.config.Durations.parse("DB_HEALTH_TIMEOUT", value, java.time.temporal.ChronoUnit.MILLIS));
        }
        if ((value = present(env, "DB_MAX_REPLICA_LAG")) != null) {
            b.maxLag(io.reactivedb.config.Durations.parse("DB_MAX_REPLICA_LAG", value, java.time.temporal.ChronoUnit.MILLIS));
        }
        if ((value = present(env, "DB_MAX_REPLICA_LAG_BYTES")) != null) {
            b.maxLagBytes(integer("DB_MAX_REPLICA_LAG_BYTES", value));
        }
        if ((value = present(env, "DB_HEALTH_FAILURES_BEFORE_DOWN")) != null) {
            b.failuresBeforeDown((int) integer("DB_HEALTH_FAILURES_BEFORE_DOWN", value));
        }
        return b.build();
    }

    private static @org.jspecify.annotations.Nullable String present(java.util.Map<String, String> env, String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static long integer(String setting, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new ConfigurationException(setting, "must be an integer but was '" + value + "'");
        }
    }

    public Duration interval() { return interval; }
    public Duration probeTimeout() { return probeTimeout; }
    public Duration maxLag() { return maxLag; }
    /** Replay lag in WAL bytes over which a replica leaves rotation; empty (default): time only. */
    public OptionalLong maxLagBytes() { return maxLagBytes; }
    public int subscriberBuffer() { return subscriberBuffer; }
    /**
     * Consecutive failed probes before an endpoint counts as down. Until then its last good
     * observation stands (the configured role if it was never reached), so one slow probe (a GC
     * pause, a cold start) does not take a server out.
     */
    public int failuresBeforeDown() { return failuresBeforeDown; }

    @Override
    public String toString() {
        return "HealthSettings[interval=" + interval + ", probeTimeout=" + probeTimeout + ", maxLag=" + maxLag
                + ", maxLagBytes=" + (maxLagBytes.isPresent() ? maxLagBytes.getAsLong() : "none") + ", subscriberBuffer=" + subscriberBuffer
                + ", failuresBeforeDown=" + failuresBeforeDown + "]";
    }

    /** Builds {@link HealthSettings}. */
    public static final class Builder {
        private Duration interval = DEFAULT_INTERVAL;
        private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
        private Duration maxLag = DEFAULT_MAX_LAG;
        private OptionalLong maxLagBytes = OptionalLong.empty();
        private int subscriberBuffer = DEFAULT_SUBSCRIBER_BUFFER;
        private int failuresBeforeDown = DEFAULT_FAILURES_BEFORE_DOWN;

        private Builder() {
        }

        public Builder failuresBeforeDown(int failuresBeforeDown) {
            if (failuresBeforeDown < 1) {
                throw new ConfigurationException("DB_HEALTH_FAILURES_BEFORE_DOWN", "must be >= 1 but was " + failuresBeforeDown);
            }
            this.failuresBeforeDown = failuresBeforeDown;
            return this;
        }

        public Builder interval(Duration interval) {
            this.interval = positive("DB_HEALTH_INTERVAL", interval);
            return this;
        }

        public Builder probeTimeout(Duration probeTimeout) {
            this.probeTimeout = positive("DB_HEALTH_TIMEOUT", probeTimeout);
            return this;
        }

        public Builder maxLag(Duration maxLag) {
            this.maxLag = positive("DB_MAX_REPLICA_LAG", maxLag);
            return this;
        }

        public Builder maxLagBytes(long maxLagBytes) {
            if (maxLagBytes < 1) {
                throw new ConfigurationException("DB_MAX_REPLICA_LAG_BYTES", "must be >= 1 but was " + maxLagBytes);
            }
            this.maxLagBytes = OptionalLong.of(maxLagBytes);
            return this;
        }

        public Builder subscriberBuffer(int subscriberBuffer) {
            if (subscriberBuffer < 1) {
                throw new ConfigurationException("health.subscriberBuffer", "must be >= 1 but was " + subscriberBuffer);
            }
            this.subscriberBuffer = subscriberBuffer;
            return this;
        }

        public HealthSettings build() {
            if (probeTimeout.compareTo(interval) > 0) {
                throw new ConfigurationException("DB_HEALTH_TIMEOUT", "must not exceed the probe interval " + interval + " but was " + probeTimeout);
            }
            return new HealthSettings(this);
        }

        private static Duration positive(String setting, Duration value) {
            Objects.requireNonNull(value, setting);
            if (value.isZero() || value.isNegative()) {
                throw new ConfigurationException(setting, "must be > 0 but was " + value);
            }
            return value;
        }
    }
}
