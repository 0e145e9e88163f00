package io.reactivedb.internal.resilience;

import io.reactivedb.resilience.RetrySettings;
import java.time.Duration;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

    private static final DoubleSupplier TOP = () -> 1.0;
    private static final DoubleSupplier BOTTOM = () -> 0.0;

    private static RetrySettings.Builder noJitter() {
        return RetrySettings.builder().jitter(0.0).maxAttempts(10).maxTotalTime(Duration.ofMinutes(1));
    }

    @Test
    void growsExponentiallyFromTheInitialDelayAndIsCappedAtTheMaximum() {
        RetrySettings s = noJitter().build(); // 100 ms, x2, max 2 s
        assertThat(Backoff.exponentialDelay(2, s)).isEqualTo(Duration.ofMillis(100));
        assertThat(Backoff.exponentialDelay(3, s)).isEqualTo(Duration.ofMillis(200));
        assertThat(Backoff.exponentialDelay(4, s)).isEqualTo(Duration.ofMillis(400));
        assertThat(Backoff.exponentialDelay(5, s)).isEqualTo(Duration.ofMillis(800));
        assertThat(Backoff.exponentialDelay(6, s)).isEqualTo(Duration.ofMillis(1600));
        assertThat(Backoff.exponentialDelay(7, s)).isEqualTo(Duration.ofSeconds(2));
        assertThat(Backoff.exponentialDelay(1_000, s)).isEqualTo(Duration.ofSeconds(2));
        assertThat(Backoff.exponentialDelay(Integer.MAX_VALUE, s)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aMultiplierOfOneGivesFixedDelays() {
        RetrySettings s = noJitter().initialDelay(Duration.ofMillis(250)).multiplier(1.0).build();
        assertThat(Backoff.delay(2, Duration.ZERO, s, TOP)).contains(Duration.ofMillis(250));
        assertThat(Backoff.delay(9, Duration.ZERO, s, TOP)).contains(Duration.ofMillis(250));
    }

    @Test
    void jitterScalesTheDelayBetweenOneMinusJitterAndOne() {
        RetrySettings half = noJitter().jitter(0.5).build();
        assertThat(Backoff.delay(3, Duration.ZERO, half, BOTTOM)).contains(Duration.ofMillis(100));
        assertThat(Backoff.delay(3, Duration.ZERO, half, TOP)).contains(Duration.ofMillis(200));
        assertThat(Backoff.delay(3, Duration.ZERO, half, () -> 0.5)).contains(Duration.ofMillis(150));

        RetrySettings full = noJitter().jitter(1.0).build();
        assertThat(Backoff.delay(3, Duration.ZERO, full, BOTTOM)).contains(Duration.ZERO);
        assertThat(Backoff.delay(3, Duration.ZERO, full, TOP)).contains(Duration.ofMillis(200));
    }

    @Test
    void jitteredDelaysStayWithinTheirBoundsForAnyRandomValue() {
        RetrySettings s = noJitter().jitter(0.5).build();
        SplittableRandom random = new SplittableRandom(42); // fixed seed: deterministic
        for (int attempt = 2; attempt <= 10; attempt++) {
            Duration exponential = Backoff.exponentialDelay(attempt, s);
            for (int i = 0; i < 50; i++) {
                Duration d = Backoff.delay(attempt, Duration.ZERO, s, random::nextDouble).orElseThrow();
                assertThat(d).isBetween(exponential.dividedBy(2), exponential);
            }
        }
    }

    @Test
    void noDelayBeyondTheMaximumNumberOfAttempts() {
        RetrySettings s = noJitter().maxAttempts(3).build();
        assertThat(Backoff.delay(3, Duration.ZERO, s, TOP)).isPresent();
        assertThat(Backoff.delay(4, Duration.ZERO, s, TOP)).isEmpty();
    }

    @Test
    void noRetryThatWouldStartAfterTheTotalTime() {
        RetrySettings s = noJitter().maxTotalTime(Duration.ofSeconds(1)).build();
        assertThat(Backoff.delay(3, Duration.ofMillis(800), s, TOP)).contains(Duration.ofMillis(200)); // starts at exactly 1 s
        assertThat(Backoff.delay(3, Duration.ofMillis(801), s, TOP)).isEmpty();
        assertThat(Backoff.delay(2, Duration.ofSeconds(5), s, TOP)).isEqualTo(Optional.empty());
    }

    @Test
    void rejectsTheFirstAttemptAndRandomValuesOutsideTheUnitInterval() {
        RetrySettings s = RetrySettings.defaults();
        assertThatThrownBy(() -> Backoff.exponentialDelay(1, s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("attempt must be >= 2");
        assertThatThrownBy(() -> Backoff.delay(2, Duration.ZERO, s, () -> 1.5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 1]");
    }
}
