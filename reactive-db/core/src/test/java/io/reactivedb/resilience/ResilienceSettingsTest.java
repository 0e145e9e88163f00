package io.reactivedb.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResilienceSettingsTest {

    @Test
    void retryDefaultsAreTheDocumentedOnes() {
        RetrySettings s = RetrySettings.fromEnvironment(Map.of());
        assertThat(s.maxAttempts()).isEqualTo(3);
        assertThat(s.initialDelay()).isEqualTo(Duration.ofMillis(100));
        assertThat(s.multiplier()).isEqualTo(2.0);
        assertThat(s.maxDelay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.maxTotalTime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.jitter()).isEqualTo(0.5);
        assertThat(s.toString()).isEqualTo(RetrySettings.defaults().toString());
    }

    @Test
    void retryVariablesAreRead() {
        RetrySettings s = RetrySettings.fromEnvironment(Map.of("DB_MAX_RETRIES", " 0 ", "DB_RETRY_DELAY", "250", "DB_RETRY_BACKOFF", "1.5",
                "DB_RETRY_MAX_DELAY", "5s", "DB_RETRY_MAX_TOTAL", "30000", "DB_UNRELATED", "x"));
        assertThat(s.maxAttempts()).isEqualTo(1);
        assertThat(s.initialDelay()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.multiplier()).isEqualTo(1.5);
        assertThat(s.maxDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.maxTotalTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(RetrySettings.fromEnvironment(Map.of("DB_MAX_RETRIES", "4", "DB_RETRY_DELAY", "")).maxAttempts()).isEqualTo(5);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "DB_MAX_RETRIES     | -1    | DB_MAX_RETRIES: must be an integer >= 0 but was '-1'",
            "DB_MAX_RETRIES     | two   | DB_MAX_RETRIES: must be an integer >= 0 but was 'two'",
            "DB_RETRY_DELAY     | soon  | DB_RETRY_DELAY: is not a duration",
            "DB_RETRY_BACKOFF   | 0.5   | DB_RETRY_BACKOFF: must be a decimal number between 1 and 1000",
            "DB_RETRY_MAX_DELAY | 50ms  | DB_RETRY_MAX_DELAY: maxDelay must be >= the initial delay PT0.1S (DB_RETRY_DELAY) but was PT0.05S",
            "DB_RETRY_MAX_TOTAL | 0     | DB_RETRY_MAX_TOTAL: must be greater than zero but was '0'",
    })
    void invalidRetryVariablesAreNamed(String name, String value, String message) {
        assertThatThrownBy(() -> RetrySettings.fromEnvironment(Map.of(name, value)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith(message)
                .satisfies(e -> assertThat(((ConfigurationException) e).setting()).isEqualTo(name));
    }

    @Test
    void retryBuilderChecksEachArgument() {
        assertThatThrownBy(() -> RetrySettings.builder().maxAttempts(0))
                .hasMessage("DB_MAX_RETRIES: maxAttempts must be >= 1 but was 0");
        assertThatThrownBy(() -> RetrySettings.builder().multiplier(0.9))
                .hasMessage("DB_RETRY_BACKOFF: multiplier must be >= 1 and <= 1000 but was 0.9");
        assertThatThrownBy(() -> RetrySettings.builder().multiplier(Double.NaN)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> RetrySettings.builder().jitter(1.1))
                .hasMessage("retry.jitter: jitter must be >= 0 and <= 1 but was 1.1");
        assertThatThrownBy(() -> RetrySettings.builder().initialDelay(Duration.ofMillis(-1)))
                .hasMessage("DB_RETRY_DELAY: initialDelay must be >= 0 but was PT-0.001S");
        assertThatThrownBy(() -> RetrySettings.builder().maxTotalTime(Duration.ZERO))
                .hasMessage("DB_RETRY_MAX_TOTAL: maxTotalTime must be > 0 but was PT0S");
        RetrySettings custom = RetrySettings.builder().maxAttempts(5).jitter(0).build();
        assertThat(custom.toBuilder().build().toString()).isEqualTo(custom.toString());
    }

    @Test
    void breakerDefaultsAreTheDocumentedOnes() {
        BreakerSettings s = BreakerSettings.fromEnvironment(Map.of());
        assertThat(s.failureRateThreshold()).isEqualTo(50f);
        assertThat(s.slowCallRateThreshold()).isEqualTo(100f);
        assertThat(s.slowCallDuration()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.minimumNumberOfCalls()).isEqualTo(10);
        assertThat(s.slidingWindowSize()).isEqualTo(20);
        assertThat(s.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.permittedCallsInHalfOpenState()).isEqualTo(3);
    }

    @Test
    void breakerVariablesAreRead() {
        BreakerSettings s = BreakerSettings.fromEnvironment(Map.of("DB_CIRCUIT_BREAKER_THRESHOLD", "25", "DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "30",
                "DB_CIRCUIT_BREAKER_MIN_CALLS", "5", "DB_CIRCUIT_BREAKER_WINDOW", "50", "DB_CIRCUIT_BREAKER_SLOW_CALL", "750"));
        assertThat(s.failureRateThreshold()).isEqualTo(25f);
        assertThat(s.waitDurationInOpenState()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.minimumNumberOfCalls()).isEqualTo(5);
        assertThat(s.slidingWindowSize()).isEqualTo(50);
        assertThat(s.slowCallDuration()).isEqualTo(Duration.ofMillis(750));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "DB_CIRCUIT_BREAKER_THRESHOLD        | 0     | DB_CIRCUIT_BREAKER_THRESHOLD: must be a decimal number between 1 and 100",
            "DB_CIRCUIT_BREAKER_THRESHOLD        | 101   | DB_CIRCUIT_BREAKER_THRESHOLD: must be a decimal number between 1 and 100",
            "DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT | 0s    | DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT: must be greater than zero",
            "DB_CIRCUIT_BREAKER_MIN_CALLS        | 0     | DB_CIRCUIT_BREAKER_MIN_CALLS: must be an integer >= 1 but was '0'",
            "DB_CIRCUIT_BREAKER_MIN_CALLS        | 21    | DB_CIRCUIT_BREAKER_MIN_CALLS: minimumNumberOfCalls must be <= the sliding window size 20",
            "DB_CIRCUIT_BREAKER_WINDOW           | x     | DB_CIRCUIT_BREAKER_WINDOW: must be an integer >= 1 but was 'x'",
            "DB_CIRCUIT_BREAKER_SLOW_CALL        | -5    | DB_CIRCUIT_BREAKER_SLOW_CALL: must not be negative",
    })
    void invalidBreakerVariablesAreNamed(String name, String value, String message) {
        assertThatThrownBy(() -> BreakerSettings.fromEnvironment(Map.of(name, value)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith(message)
                .satisfies(e -> assertThat(((ConfigurationException) e).setting()).isEqualTo(name));
    }

    @Test
    void breakerBuilderChecksEachArgument() {
        assertThatThrownBy(() -> BreakerSettings.builder().failureRateThreshold(0))
                .hasMessage("DB_CIRCUIT_BREAKER_THRESHOLD: failureRateThreshold must be > 0 and <= 100 but was 0.0");
        assertThatThrownBy(() -> BreakerSettings.builder().waitDurationInOpenState(Duration.ofNanos(10)))
                .hasMessage("DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT: waitDurationInOpenState must be >= 1 ms but was PT0.00000001S");
        assertThatThrownBy(() -> BreakerSettings.builder().permittedCallsInHalfOpenState(0))
                .hasMessage("breaker.permittedCallsInHalfOpenState: permittedCallsInHalfOpenState must be >= 1 but was 0");
        assertThatThrownBy(() -> BreakerSettings.builder().slidingWindowSize(5).build())
                .hasMessageStartingWith("DB_CIRCUIT_BREAKER_MIN_CALLS: minimumNumberOfCalls must be <= the sliding window size 5");
    }

    @Test
    void slowQueryThresholdIsRead() {
        assertThat(SlowQueryLog.fromEnvironment(Map.of()).threshold()).isEqualTo(Duration.ofSeconds(1));
        assertThat(SlowQueryLog.fromEnvironment(Map.of()).capacity()).isEqualTo(100);
        assertThat(SlowQueryLog.fromEnvironment(Map.of("DB_SLOW_QUERY_THRESHOLD", "250")).threshold()).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> SlowQueryLog.fromEnvironment(Map.of("DB_SLOW_QUERY_THRESHOLD", "0")))
                .hasMessageStartingWith("DB_SLOW_QUERY_THRESHOLD: must be greater than zero");
        assertThatThrownBy(() -> SlowQueryLog.of(Duration.ofSeconds(1), 0))
                .hasMessage("slowQueryLog.capacity: capacity must be >= 1 but was 0");
    }
}
