package io.reactivedb.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/** The limiter's arithmetic on virtual time; the delegate factory only counts (pure logic at the SPI edge). */
class ConnectionRateLimiterTest {

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final AtomicInteger opened = new AtomicInteger();
    private final ConnectionFactory counting = new ConnectionFactory() {
        @Override
        public Publisher<? extends Connection> create() {
            return Mono.fromRunnable(opened::incrementAndGet);
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return () -> "counting";
        }
    };

    @AfterEach
    void dispose() {
        time.dispose();
    }

    @Test
    void aBurstGoesThroughAtOnceThenOnePerInterval() {
        ConnectionRateLimiter limiter = new ConnectionRateLimiter(counting, time, 4, Duration.ofMillis(250));
        Flux.range(0, 12).flatMap(i -> Mono.from(limiter.create())).subscribe();
        time.advanceTimeBy(Duration.ZERO);
        assertThat(opened).hasValue(4);
        time.advanceTimeBy(Duration.ofMillis(250));
        assertThat(opened).hasValue(5);
        time.advanceTimeBy(Duration.ofMillis(750));
        assertThat(opened).hasValue(8);
        time.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(opened).hasValue(12);
    }

    @Test
    void anAttemptThatIsNeverAnsweredFailsAtTheOpenTimeoutAndIsReported() {
        ConnectionFactory silent = new ConnectionFactory() {
            @Override
            public Publisher<? extends Connection> create() {
                return Mono.never();
            }

            @Override
            public ConnectionFactoryMetadata getMetadata() {
                return () -> "silent";
            }
        };
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        List<Throwable> failed = new CopyOnWriteArrayList<>();
        ConnectionRateLimiter limiter = new ConnectionRateLimiter(silent, time, 2, Duration.ofMillis(100), Duration.ofSeconds(2),
                new ConnectionRateLimiter.Attempts() {
                    @Override
                    public long started() {
                        return 7;
                    }

                    @Override
                    public void failed(Throwable failure, long started) {
                        assertThat(started).isEqualTo(7);
                        reported.add(failure);
                    }
                });
        Mono.from(limiter.create()).subscribe(connection -> { }, failed::add);

        time.advanceTimeBy(Duration.ofMillis(1999));
        assertThat(failed).isEmpty();
        time.advanceTimeBy(Duration.ofMillis(1));
        assertThat(failed).singleElement().isInstanceOfSatisfying(R2dbcNonTransientResourceException.class, error -> {
            assertThat(error.getSqlState()).isEqualTo("08001");
            assertThat(error).hasMessageContaining("login included").hasMessageContaining("2000 ms");
        });
        assertThat(reported).containsExactlyElementsOf(failed);
    }

    @Test
    void anIdleLimiterRefillsItsBurst() {
        ConnectionRateLimiter limiter = new ConnectionRateLimiter(counting, time, 3, Duration.ofMillis(100));
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isEqualTo(Duration.ofMillis(100).toNanos());
        time.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isZero();
        assertThat(limiter.reserve()).isPositive();
    }
}
