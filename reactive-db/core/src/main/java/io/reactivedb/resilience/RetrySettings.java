package io.reactivedb.resilience;

import io.reactivedb.config.Checks;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import io.reactivedb.internal.resilience.RetryOperator;
import java.time.Duration;
import java.util.Map;

/**
 * How {@link RetryOperator} retries: how often, how long it waits between tries and how long it may
 * take in all. Immutable; build with {@link #builder()} or read with {@link #fromEnvironment(Map)}.
 *
 * <table>
 *   <caption>Settings and environment variables</caption>
 *   <tr><th>Setting</th><th>Variable</th><th>Form</th><th>Default</th></tr>
 *   <tr><td>{@link #maxAttempts()}</td><td>{@code SettingsTable.DB_MAX_RETRIES.env()}</td><td>retries after the first try, integer &gt;= 0;
 *       maxAttempts = n + 1</td><td>3 attempts (2 retries)</td></tr>
 *   <tr><td>{@link #initialDelay()}</td><td>{@code SettingsTable.DB_RETRY_DELAY.env()}</td><td>duration &gt;= 0, plain number in milliseconds</td><td>100 ms</td></tr>
 *   <tr><td>{@link #multiplier()}</td><td>{@code SettingsTable.DB_RETRY_BACKOFF.env()}</td><td>decimal &gt;= 1</td><td>2.0</td></tr>
 *   <tr><td>{@link #maxDelay()}</td><td>{@code SettingsTable.DB_RETRY_MAX_DELAY.env()}</td><td>duration &gt;= the initial delay, plain number in milliseconds</td><td>2 s</td></tr>
 *   <tr><td>{@link #maxTotalTime()}</td><td>{@code SettingsTable.DB_RETRY_MAX_TOTAL.env()}</td><td>duration &gt; 0, plain number in milliseconds</td><td>10 s</td></tr>
 *   <tr><td>{@link #jitter()}</td><td>none</td><td>0.0 to 1.0</td><td>0.5</td></tr>
 * </table>
 */
public final class RetrySettings {


    /** Default number of tries, the first one included: 3. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** Default delay before the first retry: 100 ms. */
    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofMillis(100);
    /** Default growth factor of the delay from one retry to the next: 2.0. */
    public static final double DEFAULT_MULTIPLIER = 2.0;
    /** Default upper bound of one delay: 2 s. */
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(2);
    /** Default bound of the whole operation, from the first subscription to the start of the last retry: 10 s. */
    public static final Duration DEFAULT_MAX_TOTAL_TIME = Duration.ofSeconds(10);
    /** Default jitter: 0.5, each delay is drawn uniformly from 50 % to 100 % of its exponential value. */
    public static final double DEFAULT_JITTER = 0.5;

    private final int maxAttempts;
    private final Duration initialDelay;
    private final double multiplier;
    private final Duration maxDelay;
    private final Duration maxTotalTime;
    private final double jitter;

    private RetrySettings(Builder b) {
        this.maxAttempts = b.maxAttempts;
        this.initialDelay = b.initialDelay;
        this.multiplier = b.multiplier;
        this.maxDelay = b.maxDelay;
        this.maxTotalTime = b.maxTotalTime;
        this.jitter = b.jitter;
    }

    public static RetrySettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().maxAttempts(maxAttempts).initialDelay(initialDelay).multiplier(multiplier).maxDelay(maxDelay)
                .maxTotalTime(maxTotalTime).jitter(jitter);
    }

    /**
     * Reads the variables in the table of the class description; unset or empty ones keep their
     * default. Values are trimmed.
     *
     * @throws ConfigurationException naming the first invalid variable
     */
    public static RetrySettings fromEnvironment(Map<String, String> env) {
        return fromEnvironment(SettingSource.of(env));
    }

    /** As {@link #fromEnvironment(Map)}, from any source. */
    public static RetrySettings fromEnvironment(SettingSource source) {
        Builder b = builder();
        SettingsTable.DB_MAX_RETRIES.read(source).ifPresent(retries -> b.maxAttempts(retries == Integer.MAX_VALUE ? retries : retries + 1));
        SettingsTable.DB_RETRY_DELAY.read(source).ifPresent(b::initialDelay);
        SettingsTable.DB_RETRY_BACKOFF.read(source).ifPresent(b::multiplier);
        SettingsTable.DB_RETRY_MAX_DELAY.read(source).ifPresent(b::maxDelay);
        SettingsTable.DB_RETRY_MAX_TOTAL.read(source).ifPresent(b::maxTotalTime);
        return b.build();
    }

    /** Tries in all, the first one included; at least 1 (1 means no retry). */
    public int maxAttempts() { return maxAttempts; }
    /** The delay before the first retry, before jitter. */
    public Duration initialDelay() { return initialDelay; }
    /** Each retry waits this many times as long as the one before, up to {@link #maxDelay()}; at least 1. */
    public double multiplier() { return multiplier; }
    /** Upper bound of one delay, before jitter. */
    public Duration maxDelay() { return maxDelay; }
    /** No retry starts later than this after the first subscription. */
    public Duration maxTotalTime() { return maxTotalTime; }
    /**
     * The randomised fraction of each delay, 0 to 1: a delay {@code d} becomes a uniform draw from
     * {@code d * (1 - jitter)} to {@code d}. 0 gives fixed delays, 1 "full jitter".
     */
    public double jitter() { return jitter; }

    @Override
    public String toString() {
        return "RetrySettings[maxAttempts=" + maxAttempts + ", initialDelay=" + initialDelay + ", multiplier=" + multiplier
                + ", maxDelay=" + maxDelay + ", maxTotalTime=" + maxTotalTime + ", jitter=" + jitter + "]";
    }

    /** Builds {@link RetrySettings}; each setter checks its argument, {@link #build()} the relations. */
    public static final class Builder {
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialDelay = DEFAULT_INITIAL_DELAY;
        private double multiplier = DEFAULT_MULTIPLIER;
        private Duration maxDelay = DEFAULT_MAX_DELAY;
        private Duration maxTotalTime = DEFAULT_MAX_TOTAL_TIME;
        private double jitter = DEFAULT_JITTER;

        private Builder() {
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = Checks.atLeast(SettingsTable.DB_MAX_RETRIES.env(), "maxAttempts", maxAttempts, 1);
            return this;
        }

        public Builder initialDelay(Duration initialDelay) {
            this.initialDelay = Checks.notNegative(SettingsTable.DB_RETRY_DELAY.env(), "initialDelay", initialDelay);
            return this;
        }

        public Builder multiplier(double multiplier) {
            this.multiplier = Checks.between(SettingsTable.DB_RETRY_BACKOFF.env(), "multiplier", multiplier, 1.0, 1000.0, true);
            return this;
        }

        public Builder maxDelay(Duration maxDelay) {
            this.maxDelay = Checks.notNegative(SettingsTable.DB_RETRY_MAX_DELAY.env(), "maxDelay", maxDelay);
            return this;
        }

        public Builder maxTotalTime(Duration maxTotalTime) {
            this.maxTotalTime = Checks.positive(SettingsTable.DB_RETRY_MAX_TOTAL.env(), "maxTotalTime", maxTotalTime);
            return this;
        }

        public Builder jitter(double jitter) {
            this.jitter = Checks.between("retry.jitter", "jitter", jitter, 0.0, 1.0, true);
            return this;
        }

        public RetrySettings build() {
            if (maxDelay.compareTo(initialDelay) < 0) {
                throw new ConfigurationException(SettingsTable.DB_RETRY_MAX_DELAY.env(), "maxDelay must be >= the initial delay " + initialDelay
                        + " (" + SettingsTable.DB_RETRY_DELAY.env() + ") but was " + maxDelay);
            }
            return new RetrySettings(this);
        }
    }
}
