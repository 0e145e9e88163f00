package io.reactivedb.web.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

class RateLimiterTest {

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
    private final RateLimiter limiter = new RateLimiter(3, Duration.ofSeconds(30), clock);

    @Test
    void aBurstOfTheLimitThenOneRequestPerInterval() {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire("10.0.0.1").allowed()).isTrue();
        }
        RateLimiter.Decision refused = limiter.tryAcquire("10.0.0.1");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(10));

        clock.advanceTimeBy(Duration.ofSeconds(9));
        assertThat(limiter.tryAcquire("10.0.0.1").allowed()).isFalse();
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(limiter.tryAcquire("10.0.0.1").allowed()).isTrue();
        assertThat(limiter.tryAcquire("10.0.0.1").allowed()).isFalse();
    }

    @Test
    void peekTellsWithoutTaking() {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.peek("10.0.0.1").allowed()).isTrue();
        }
        for (int i = 0; i < 3; i++) {
            limiter.tryAcquire("10.0.0.1");
        }
        assertThat(limiter.peek("10.0.0.1")).isEqualTo(new RateLimiter.Decision(false, Duration.ofSeconds(10)));
        clock.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(limiter.peek("10.0.0.1").allowed()).isTrue();
        assertThat(limiter.peek("10.0.0.1").allowed()).isTrue();
        assertThat(limiter.tryAcquire("10.0.0.1").allowed()).isTrue();
        assertThat(limiter.peek("10.0.0.1").allowed()).isFalse();
    }

    @Test
    void keysAreLimitedApart() {
        for (int i = 0; i < 3; i++) {
            limiter.tryAcquire("a");
        }
        assertThat(limiter.tryAcquire("a").allowed()).isFalse();
        assertThat(limiter.tryAcquire("b").allowed()).isTrue();
    }

    @Test
    void aFullPeriodRefillsTheBurst() {
        for (int i = 0; i < 3; i++) {
            limiter.tryAcquire("a");
        }
        clock.advanceTimeBy(Duration.ofSeconds(30));
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.tryAcquire("a").allowed()).isTrue();
        }
        assertThat(limiter.tryAcquire("a").allowed()).isFalse();
    }

    @Test
    void settingsAreChecked() {
        assertThatThrownBy(() -> new RateLimiter(0, Duration.ofSeconds(1), clock)).hasMessageContaining("requests must be >= 1");
        assertThatThrownBy(() -> new RateLimiter(1, Duration.ZERO, clock)).hasMessageContaining("period must be > 0");
    }
}
