package io.reactivedb.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class SlowQueryLogTest {

    private static final String SQL = "SELECT * FROM card WHERE number = $1";
    private static final String BOUND_VALUE = "4111111111111111";

    private final Logger logger = (Logger) LoggerFactory.getLogger(SlowQueryLog.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final VirtualTimeScheduler scheduler = VirtualTimeScheduler.create();

    @BeforeEach
    void capture() {
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
    }

    @Test
    void keepsTheNewestNNewestFirst() {
        SlowQueryLog log = SlowQueryLog.of(Duration.ofMillis(100), 3);
        IntStream.rangeClosed(1, 5).forEach(i ->
                assertThat(log.record(Instant.ofEpochSecond(i), "primary", "op" + i, SQL, Duration.ofMillis(150), "complete")).isTrue());
        assertThat(log.recent()).extracting(SlowQuery::operation).containsExactly("op5", "op4", "op3");
        assertThat(appender.list).hasSize(5);
    }

    @Test
    void ignoresOperationsUpToTheThreshold() {
        SlowQueryLog log = SlowQueryLog.of(Duration.ofMillis(100), 3);
        assertThat(log.record(Instant.EPOCH, "primary", "fast", SQL, Duration.ofMillis(100), "complete")).isFalse();
        assertThat(log.recent()).isEmpty();
        assertThat(appender.list).isEmpty();
    }

    @Test
    void timesASubscriptionOnTheSchedulerAndLogsAtWarnWithoutParameterValues() {
        SlowQueryLog log = SlowQueryLog.defaults();
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofMillis(1500), scheduler)
                                .thenMany(Flux.<String>error(new R2dbcDataIntegrityViolationException(
                                        "duplicate key value: Key (number)=(" + BOUND_VALUE + ") already exists", "23505")))
                                .transformDeferred(log.timed("primary", "findCard", SQL, scheduler)),
                        () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .thenAwait(Duration.ofMillis(1500))
                .expectError(R2dbcDataIntegrityViolationException.class)
                .verify(Duration.ofSeconds(5));

        assertThat(log.recent()).containsExactly(new SlowQuery(Instant.ofEpochMilli(1500), "primary", "findCard", SQL,
                Duration.ofMillis(1500), "error R2dbcDataIntegrityViolationException 23505"));
        assertThat(appender.list).hasSize(1);
        ILoggingEvent event = appender.list.get(0);
        assertThat(event.getLevel()).isEqualTo(Level.WARN);
        assertThat(event.getFormattedMessage())
                .isEqualTo("[primary] slow findCard: 1500 ms (error R2dbcDataIntegrityViolationException 23505), threshold 1000 ms: " + SQL)
                .doesNotContain(BOUND_VALUE);
        assertThat(event.getThrowableProxy()).isNull();
    }

    @Test
    void recordsCompletionAndCancellation() {
        SlowQueryLog log = SlowQueryLog.of(Duration.ofMillis(10), 10);
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofMillis(20), scheduler).thenMany(Flux.just("row"))
                        .transformDeferred(log.timed("replica-1", "list", "SELECT 1", scheduler)), () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .thenAwait(Duration.ofMillis(20))
                .expectNext("row")
                .verifyComplete();
        StepVerifier.withVirtualTime(() -> Flux.<String>never()
                        .transformDeferred(log.timed("replica-1", "hang", "SELECT pg_sleep(60)", scheduler)), () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .thenAwait(Duration.ofMillis(50))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
        List<String> outcomes = log.recent().stream().map(q -> q.operation() + "=" + q.outcome() + "@" + q.duration().toMillis())
                .collect(Collectors.toList());
        assertThat(outcomes).containsExactly("hang=cancel@50", "list=complete@20");
    }
}
