package io.reactivedb.resilience;

import io.reactivedb.config.Checks;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.SettingSource;
import io.reactivedb.config.SettingsTable;
import io.reactivedb.internal.resilience.EndpointBreakers;
import java.time.Duration;
import java.util.Map;

/**
 * The circuit breaker of each endpoint ({@link EndpointBreakers}): a count-based sliding window of
 * the last calls; when enough of them failed in a way that
 * {@link FailureClassifier#countsAgainstEndpoint(Throwable) counts against the endpoint}, or were
 * slow, the breaker opens and refuses calls for a while, then lets a few trial calls through.
 * Immutable; build with {@link #builder()} or read with {@link #fromEnvironment(Map)}.
 *
 * <table>
 *   <caption>Settings and environment variables</caption>
 *   <tr><th>Setting</th><th>Variable</th><th>Form</th><th>Default</th></tr>
 *   <tr><td>{@link #failureRateThreshold()}</td><td>{@code SettingsTable.DB_CIRCUIT_BREAKER_THRESHOLD.env()}</td><td>percent, 1 to 100</td><td>50</td></tr>
 *   <tr><td>{@link #waitDurationInOpenState()}</td><td>{@code SettingsTable.DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT.env()}</td><td>duration &gt;= 1 ms,
 *       plain number in seconds</td><td>10 s</td></tr>
 *   <tr><td>{@link #minimumNumberOfCalls()}</td><td>{@code SettingsTable.DB_CIRCUIT_BREAKER_MIN_CALLS.env()}</td><td>integer 1 to the window size</td><td>10</td></tr>
 *   <tr><td>{@link #slidingWindowSize()}</td><td>{@code SettingsTable.DB_CIRCUIT_BREAKER_WINDOW.env()}</td><td>integer &gt;= 1 (calls)</td><td>20</td></tr>
 *   <tr><td>{@link #slowCallDuration()}</td><td>{@code SettingsTable.DB_CIRCUIT_BREAKER_SLOW_CALL.env()}</td><td>duration &gt; 0, plain number in milliseconds</td><td>2 s</td></tr>
 *   <tr><td>{@link #slowCallRateThreshold()}</td><td>none</td><td>percent, above 0 to 100</td><td>100 (only a window of nothing but slow calls opens)</td></tr>
 *   <tr><td>{@link #permittedCallsInHalfOpenState()}</td><td>none</td><td>integer &gt;= 1</td><td>3</td></tr>
 * </table>
 */
public final class BreakerSettings {


    /** Default failure rate, in percent of the window, at which the breaker opens: 50. */
    public static final float DEFAULT_FAILURE_RATE_THRESHOLD = 50f;
    /** Default slow-call rate, in percent, at which the breaker opens: 100, in effect off. */
    public static final float DEFAULT_SLOW_CALL_RATE_THRESHOLD = 100f;
    /** Default duration above which a call counts as slow: 2 s. */
    public static final Duration DEFAULT_SLOW_CALL_DURATION = Duration.ofSeconds(2);
    /** Default number of calls the window must hold before a rate is computed: 10. */
    public static final int DEFAULT_MINIMUM_NUMBER_OF_CALLS = 10;
    /** Default size of the sliding window: the last 20 calls. */
    public static final int DEFAULT_SLIDING_WINDOW_SIZE = 20;
    /** Default time an open breaker refuses calls before it lets trial calls through: 10 s. */
    public static final Duration DEFAULT_WAIT_DURATION_IN_OPEN_STATE = Duration.ofSeconds(10);
    /** Default number of trial calls in the half-open state: 3. */
    public static final int DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE = 3;

    private final float failureRateThreshold;
    private final float slowCallRateThreshold;
    private final Duration slowCallDuration;
    private final int minimumNumberOfCalls;
    private final int slidingWindowSize;
    private final Duration waitDurationInOpenState;
    private final int permittedCallsInHalfOpenState;

    private BreakerSettings(Builder b) {
        this.failureRateThreshold = b.failureRateThreshold;
        this.slowCallRateThreshold = b.slowCallRateThreshold;
        this.slowCallDuration = b.slowCallDuration;
        this.minimumNumberOfCalls = b.minimumNumberOfCalls;
        this.slidingWindowSize = b.slidingWindowSize;
        this.waitDurationInOpenState = b.waitDurationInOpenState;
        this.permittedCallsInHalfOpenState = b.permittedCallsInHalfOpenState;
    }

    public static BreakerSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().failureRateThreshold(failureRateThreshold).slowCallRateThreshold(slowCallRateThreshold)
                .slowCallDuration(slowCallDuration).minimumNumberOfCalls(minimumNumberOfCalls).slidingWindowSize(slidingWindowSize)
                .waitDurationInOpenState(waitDurationInOpenState).permittedCallsInHalfOpenState(permittedCallsInHalfOpenState);
    }

    /**
     * Reads the variables in the table of the class description; unset or empty ones keep their
     * default. Values are trimmed.
     *
     * @throws ConfigurationException naming the first invalid variable
     */
    public static BreakerSettings fromEnvironment(Map<String, String> env) {
        return fromEnvironment(SettingSource.of(env));
    }

    /** As {@link #fromEnvironment(Map)}, from any source. */
    public static BreakerSettings fromEnvironment(SettingSource source) {
        Builder b = builder();
        SettingsTable.DB_CIRCUIT_BREAKER_THRESHOLD.read(source).ifPresent(v -> b.failureRateThreshold(v.floatValue()));
        SettingsTable.DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT.read(source).ifPresent(b::waitDurationInOpenState);
        SettingsTable.DB_CIRCUIT_BREAKER_MIN_CALLS.read(source).ifPresent(b::minimumNumberOfCalls);
        SettingsTable.DB_CIRCUIT_BREAKER_WINDOW.read(source).ifPresent(b::slidingWindowSize);
        SettingsTable.DB_CIRCUIT_BREAKER_SLOW_CALL.read(source).ifPresent(b::slowCallDuration);
        return b.build();
    }

    /** Percentage of recorded failures in the window at or above which the breaker opens. */
    public float failureRateThreshold() { return failureRateThreshold; }
    /** Percentage of slow calls in the window at or above which the breaker opens. */
    public float slowCallRateThreshold() { return slowCallRateThreshold; }
    /** Calls that take longer than this count as slow. */
    public Duration slowCallDuration() { return slowCallDuration; }
    /** Rates are computed only once the window holds this many calls. */
    public int minimumNumberOfCalls() { return minimumNumberOfCalls; }
    /** The number of most recent calls the rates are computed over. */
    public int slidingWindowSize() { return slidingWindowSize; }
    /** How long an open breaker refuses calls before it lets trial calls through. */
    public Duration waitDurationInOpenState() { return waitDurationInOpenState; }
    /** Trial calls in the half-open state; when they have run the breaker closes or opens again. */
    public int permittedCallsInHalfOpenState() { return permittedCallsInHalfOpenState; }

    @Override
    public String toString() {
        return "BreakerSettings[failureRateThreshold=" + failureRateThreshold + ", slowCallRateThreshold=" + slowCallRateThreshold
                + ", slowCallDuration=" + slowCallDuration + ", minimumNumberOfCalls=" + minimumNumberOfCalls
                + ", slidingWindowSize=" + slidingWindowSize + ", waitDurationInOpenState=" + waitDurationInOpenState
                + ", permittedCallsInHalfOpenState=" + permittedCallsInHalfOpenState + "]";
    }

    /** Builds {@link BreakerSettings}; each setter checks its argument, {@link #build()} the relations. */
    public static final class Builder {
        private float failureRateThreshold = DEFAULT_FAILURE_RATE_THRESHOLD;
        private float slowCallRateThreshold = DEFAULT_SLOW_CALL_RATE_THRESHOLD;
        private Duration slowCallDuration = DEFAULT_SLOW_CALL_DURATION;
        private int minimumNumberOfCalls = DEFAULT_MINIMUM_NUMBER_OF_CALLS;
        private int slidingWindowSize = DEFAULT_SLIDING_WINDOW_SIZE;
        private Duration waitDurationInOpenState = DEFAULT_WAIT_DURATION_IN_OPEN_STATE;
        private int permittedCallsInHalfOpenState = DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE;

        private Builder() {
        }

        public Builder failureRateThreshold(float percent) {
            this.failureRateThreshold = (float) Checks.between(SettingsTable.DB_CIRCUIT_BREAKER_THRESHOLD.env(), "failureRateThreshold", percent, 0, 100, false);
            return this;
        }

        public Builder slowCallRateThreshold(float percent) {
            this.slowCallRateThreshold = (float) Checks.between("breaker.slowCallRateThreshold", "slowCallRateThreshold", percent, 0, 100, false);
            return this;
        }

        public Builder slowCallDuration(Duration slowCallDuration) {
            this.slowCallDuration = Checks.positive(SettingsTable.DB_CIRCUIT_BREAKER_SLOW_CALL.env(), "slowCallDuration", slowCallDuration);
            return this;
        }

        public Builder minimumNumberOfCalls(int minimumNumberOfCalls) {
            this.minimumNumberOfCalls = Checks.atLeast(SettingsTable.DB_CIRCUIT_BREAKER_MIN_CALLS.env(), "minimumNumberOfCalls", minimumNumberOfCalls, 1);
            return this;
        }

        public Builder slidingWindowSize(int slidingWindowSize) {
            this.slidingWindowSize = Checks.atLeast(SettingsTable.DB_CIRCUIT_BREAKER_WINDOW.env(), "slidingWindowSize", slidingWindowSize, 1);
            return this;
        }

        public Builder waitDurationInOpenState(Duration waitDurationInOpenState) {
            Checks.positive(SettingsTable.DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT.env(), "waitDurationInOpenState", waitDurationInOpenState);
            if (waitDurationInOpenState.compareTo(Duration.ofMillis(1)) < 0) {
                throw new ConfigurationException(SettingsTable.DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT.env(), "waitDurationInOpenState must be >= 1 ms but was "
                        + waitDurationInOpenState);
            }
            this.waitDurationInOpenState = waitDurationInOpenState;
            return this;
        }

        public Builder permittedCallsInHalfOpenState(int permittedCalls) {
            this.permittedCallsInHalfOpenState = Checks.atLeast("breaker.permittedCallsInHalfOpenState", "permittedCallsInHalfOpenState",
                    permittedCalls, 1);
            return this;
        }

        public BreakerSettings build() {
            if (minimumNumberOfCalls > slidingWindowSize) {
                throw new ConfigurationException(SettingsTable.DB_CIRCUIT_BREAKER_MIN_CALLS.env(), "minimumNumberOfCalls must be <= the sliding window size "
                        + slidingWindowSize + " (" + SettingsTable.DB_CIRCUIT_BREAKER_WINDOW.env() + ") but was " + minimumNumberOfCalls);
            }
            return new BreakerSettings(this);
        }
    }
}
