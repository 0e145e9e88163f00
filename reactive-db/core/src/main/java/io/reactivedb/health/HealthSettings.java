package io.reactivedb.health;

import io.reactivedb.config.Checks;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import java.time.Duration;
import java.util.Map;
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
    /**
     * Default first delay of a re-check ({@code DB_HEALTH_RECHECK_INTERVAL}): 250 ms. After a failed
     * probe, or while no writer is known, the next round comes after this delay (doubling per
     * consecutive re-check, up to the interval or 1 s, whichever is less) instead of a whole interval.
     */
    public static final Duration DEFAULT_RECHECK_INTERVAL = Duration.ofMillis(250);
    /**
     * Default stall timeout ({@code DB_STALL_TIMEOUT}): 500 ms. An endpoint with work in flight,
     * acquisitions queued on its pool and no unit finished for this long takes no new work until
     * one finishes there or a probe answers; its queued acquisitions move to other endpoints.
     */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofMillis(500);

    private final Duration interval;
    private final Duration probeTimeout;
    private final Duration maxLag;
    private final OptionalLong maxLagBytes;
    private final int subscriberBuffer;
    private final int failuresBeforeDown;
    private final Duration recheckInterval;
    private final Duration stallTimeout;

    private HealthSettings(Builder b) {
        this.failuresBeforeDown = b.failuresBeforeDown;
        this.recheckInterval = b.recheckInterval;
        this.stallTimeout = b.stallTimeout;
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
     * (plain numbers: milliseconds), {@code DB_MAX_REPLICA_LAG_BYTES},
     * {@code DB_HEALTH_FAILURES_BEFORE_DOWN}, {@code DB_HEALTH_RECHECK_INTERVAL} and
     * {@code DB_STALL_TIMEOUT} (milliseconds); unset names keep their defaults.
     *
     * @throws ConfigurationException naming the invalid variable
     */
    public static HealthSettings fromEnvironment(Map<String, String> env) {
        return fromEnvironment(SettingSource.of(env));
    }

    /** As {@link #fromEnvironment(Map)}, from any source. */
    public static HealthSettings fromEnvironment(SettingSource source) {
        Builder b = builder();
        SettingsTable.DB_HEALTH_INTERVAL.read(source).ifPresent(b::interval);
        SettingsTable.DB_HEALTH_TIMEOUT.read(source).ifPresent(b::probeTimeout);
        SettingsTable.DB_MAX_REPLICA_LAG.read(source).ifPresent(b::maxLag);
        SettingsTable.DB_MAX_REPLICA_LAG_BYTES.read(source).ifPresent(b::maxLagBytes);
        SettingsTable.DB_HEALTH_FAILURES_BEFORE_DOWN.read(source).ifPresent(b::failuresBeforeDown);
        SettingsTable.DB_HEALTH_RECHECK_INTERVAL.read(source).ifPresent(b::recheckInterval);
        SettingsTable.DB_STALL_TIMEOUT.read(source).ifPresent(b::stallTimeout);
        return b.build();
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
    /**
     * The first delay of a re-check round: after a round with a failed probe (of an endpoint not yet
     * counted down), or without a writer, the next round starts after this delay, doubling with
     * each consecutive re-check up to {@link #recheckLimit()}; a good round returns to the interval.
     */
    public Duration recheckInterval() { return recheckInterval; }
    /** The longest delay between re-check rounds: the interval, but at most 1 s (and at least the re-check interval). */
    public Duration recheckLimit() {
        Duration limit = interval.compareTo(Duration.ofSeconds(1)) < 0 ? interval : Duration.ofSeconds(1);
        return limit.compareTo(recheckInterval) < 0 ? recheckInterval : limit;
    }
    /** See {@link #DEFAULT_STALL_TIMEOUT}. */
    public Duration stallTimeout() { return stallTimeout; }

    @Override
    public String toString() {
        return "HealthSettings[interval=" + interval + ", probeTimeout=" + probeTimeout + ", maxLag=" + maxLag
                + ", maxLagBytes=" + (maxLagBytes.isPresent() ? maxLagBytes.getAsLong() : "none") + ", subscriberBuffer=" + subscriberBuffer
                + ", failuresBeforeDown=" + failuresBeforeDown + ", recheckInterval=" + recheckInterval + ", stallTimeout=" + stallTimeout + "]";
    }

    /** Builds {@link HealthSettings}. */
    public static final class Builder {
        private Duration interval = DEFAULT_INTERVAL;
        private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
        private Duration maxLag = DEFAULT_MAX_LAG;
        private OptionalLong maxLagBytes = OptionalLong.empty();
        private int subscriberBuffer = DEFAULT_SUBSCRIBER_BUFFER;
        private int failuresBeforeDown = DEFAULT_FAILURES_BEFORE_DOWN;
        private Duration recheckInterval = DEFAULT_RECHECK_INTERVAL;
        private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;

        private Builder() {
        }

        public Builder recheckInterval(Duration recheckInterval) {
            this.recheckInterval = Checks.positive(SettingsTable.DB_HEALTH_RECHECK_INTERVAL.env(), recheckInterval);
            return this;
        }

        public Builder stallTimeout(Duration stallTimeout) {
            this.stallTimeout = Checks.positive(SettingsTable.DB_STALL_TIMEOUT.env(), stallTimeout);
            return this;
        }

        public Builder failuresBeforeDown(int failuresBeforeDown) {
            this.failuresBeforeDown = Checks.atLeast(SettingsTable.DB_HEALTH_FAILURES_BEFORE_DOWN.env(), failuresBeforeDown, 1);
            return this;
        }

        public Builder interval(Duration interval) {
            this.interval = Checks.positive(SettingsTable.DB_HEALTH_INTERVAL.env(), interval);
            return this;
        }

        public Builder probeTimeout(Duration probeTimeout) {
            this.probeTimeout = Checks.positive(SettingsTable.DB_HEALTH_TIMEOUT.env(), probeTimeout);
            return this;
        }

        public Builder maxLag(Duration maxLag) {
            this.maxLag = Checks.positive(SettingsTable.DB_MAX_REPLICA_LAG.env(), maxLag);
            return this;
        }

        public Builder maxLagBytes(long maxLagBytes) {
            this.maxLagBytes = OptionalLong.of(Checks.atLeast(SettingsTable.DB_MAX_REPLICA_LAG_BYTES.env(), "", maxLagBytes, 1));
            return this;
        }

        public Builder subscriberBuffer(int subscriberBuffer) {
            this.subscriberBuffer = Checks.atLeast("health.subscriberBuffer", subscriberBuffer, 1);
            return this;
        }

        public HealthSettings build() {
            if (probeTimeout.compareTo(interval) > 0) {
                throw new ConfigurationException(SettingsTable.DB_HEALTH_TIMEOUT.env(), "must not exceed the probe interval " + interval + " but was " + probeTimeout);
            }
            return new HealthSettings(this);
        }
    }
}
