package io.reactivedb.internal.resilience;

import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.error.DbTransactionException;
import io.reactivedb.pool.DbPoolExhaustedException;
import io.reactivedb.pool.PoolStatistics;
import io.reactivedb.resilience.FailureClassifier;
import io.reactivedb.resilience.RetryListener;
import io.reactivedb.resilience.RetrySettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import static org.assertj.core.api.Assertions.assertThat;

class RetryOperatorTest {

    private final VirtualTimeScheduler scheduler = VirtualTimeScheduler.create();
    private final AtomicInteger subscriptions = new AtomicInteger();
    private final List<Long> subscribedAt = new ArrayList<>();
    private final List<String> retries = new ArrayList<>();
    private final RetryListener recording = (attempt, max, classification, error, delay) ->
            retries.add(attempt + "/" + max + " " + classification + " " + delay.toMillis() + "ms " + error.getMessage());

    private static final RetrySettings FIXED = RetrySettings.builder().jitter(0.0).build(); // 3 attempts, 100 ms x2

    private static DbConnectionException lost(int n) {
        return new DbConnectionException("[primary] connection lost " + n, null, "08006", "primary", true);
    }

    /** Fails the first {@code failures} subscriptions with what {@code error} gives, then emits "ok". */
    private Flux<String> failing(int failures, Function<Integer, Throwable> error) {
        return Flux.defer(() -> {
            int n = subscriptions.incrementAndGet();
            subscribedAt.add(scheduler.now(TimeUnit.MILLISECONDS));
            return n <= failures ? Flux.error(error.apply(n)) : Flux.just("ok");
        });
    }

    private Function<Flux<String>, Flux<String>> retry(RetrySettings settings) {
        return RetryOperator.retry(settings, scheduler, FailureClassifier::isRetryable, recording);
    }

    @Test
    void retriesRetryableErrorsAfterTheBackoffDelays() {
        StepVerifier.withVirtualTime(() -> failing(2, RetryOperatorTest::lost).transformDeferred(retry(FIXED)), () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(299))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("ok")
                .verifyComplete();
        assertThat(subscribedAt).containsExactly(0L, 100L, 300L);
        assertThat(retries).containsExactly(
                "2/3 RETRYABLE_CONNECTION 100ms [primary] connection lost 1",
                "3/3 RETRYABLE_CONNECTION 200ms [primary] connection lost 2");
    }

    /** Waits {@code wait} on the virtual clock like a unit queued for a connection, then fails with what {@code error} gives. */
    private Flux<String> waitingThenFailing(Duration wait, Function<Integer, Throwable> error) {
        return Flux.defer(() -> {
            int n = subscriptions.incrementAndGet();
            subscribedAt.add(scheduler.now(TimeUnit.MILLISECONDS));
            return Mono.delay(wait, scheduler).then(Mono.<String>error(error.apply(n)));
        });
    }

    private static DbPoolExhaustedException exhausted(int n) {
        return new DbPoolExhaustedException("[primary] no connection within 2000 ms " + n, null, "primary",
                new PoolStatistics(4, 0, 12, 4, 4, n));
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 10})
    void aPoolTimeoutIsNotRetriedSoTheCallersWaitIsTheAcquireTimeoutWhateverTheSettings(int maxAttempts) {
        RetrySettings settings = RetrySettings.builder().maxAttempts(maxAttempts).maxTotalTime(Duration.ofMinutes(5)).jitter(0.0).build();
        StepVerifier.withVirtualTime(() -> waitingThenFailing(Duration.ofSeconds(2), RetryOperatorTest::exhausted)
                                .transformDeferred(retry(settings)), () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(1999))
                .thenAwait(Duration.ofMillis(1))
                .expectError(DbPoolExhaustedException.class)
                .verify(Duration.ofSeconds(5));
        assertThat(subscriptions).hasValue(1);
        assertThat(retries).isEmpty();
    }

    @Test
    void noRetryStartsAfterTheLatestStartTheContextGives() {
        // A unit still waiting for a connection may retry only within its acquire deadline (2000 ms here).
        RetrySettings settings = RetrySettings.builder().maxAttempts(10).initialDelay(Duration.ofMillis(300)).multiplier(1.0)
                .jitter(0.0).build();
        StepVerifier.withVirtualTime(() -> waitingThenFailing(Duration.ofMillis(700), RetryOperatorTest::lost)
                                .transformDeferred(retry(settings))
                                .contextWrite(context -> RetryOperator.withLatestStart(context, () -> 2000L)),
                        () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(1699))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorMessage("[primary] connection lost 2")
                .verify(Duration.ofSeconds(5));
        // Fails at 700, retried at 1000, fails at 1700; the next retry would start at 2000, when the
        // wait must be over already: the error goes to the caller at 1700 instead.
        assertThat(subscribedAt).containsExactly(0L, 1000L);
        assertThat(retries).hasSize(1);
    }

    @Test
    void jitterComesFromTheGivenRandom() {
        RetrySettings settings = RetrySettings.builder().jitter(0.5).build();
        StepVerifier.withVirtualTime(() -> failing(2, RetryOperatorTest::lost)
                                .transformDeferred(RetryOperator.retry(settings, scheduler, FailureClassifier::isRetryable, recording, () -> 0.0)),
                        () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(149))
                .thenAwait(Duration.ofMillis(1))
                .expectNext("ok")
                .verifyComplete();
        assertThat(subscribedAt).containsExactly(0L, 50L, 150L);
    }

    @Test
    void givesUpAfterMaxAttemptsWithTheLastErrorAndTheEarlierOnesSuppressed() {
        StepVerifier.withVirtualTime(() -> failing(Integer.MAX_VALUE, RetryOperatorTest::lost).transformDeferred(retry(FIXED)),
                        () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(300))
                .expectErrorSatisfies(error -> {
                    assertThat(error).hasMessage("[primary] connection lost 3");
                    assertThat(error.getSuppressed()).extracting(Throwable::getMessage)
                            .containsExactly("[primary] connection lost 1", "[primary] connection lost 2");
                })
                .verify(Duration.ofSeconds(5));
        assertThat(subscriptions).hasValue(3);
        assertThat(retries).hasSize(2);
    }

    @Test
    void stopsWhenTheNextRetryWouldStartAfterTheTotalTime() {
        RetrySettings settings = RetrySettings.builder().jitter(0.0).maxAttempts(10).initialDelay(Duration.ofSeconds(1)).multiplier(1.0)
                .maxTotalTime(Duration.ofMillis(2500)).build();
        StepVerifier.withVirtualTime(() -> failing(Integer.MAX_VALUE, RetryOperatorTest::lost).transformDeferred(retry(settings)),
                        () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(2000))
                .expectErrorSatisfies(error -> assertThat(error.getSuppressed()).hasSize(2))
                .verify(Duration.ofSeconds(5));
        assertThat(subscribedAt).containsExactly(0L, 1000L, 2000L);
    }

    @Test
    void neverRetriesWhatThePredicateRejects() {
        DbQueryException unique = new DbQueryException("[primary] 23505 duplicate key", null, "23505", "primary", false, "t_pkey", "t", null);
        StepVerifier.withVirtualTime(() -> failing(1, n -> unique).transformDeferred(retry(FIXED)), () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectErrorSatisfies(error -> {
                    assertThat(error).isSameAs(unique);
                    assertThat(error.getSuppressed()).isEmpty();
                })
                .verify(Duration.ofSeconds(5));
        assertThat(subscriptions).hasValue(1);
        assertThat(retries).isEmpty();
    }

    @Test
    void aRetryableErrorAfterANonRetryableOneStillEndsWithSuppressedHistory() {
        StepVerifier.withVirtualTime(() -> failing(2, n -> n == 1 ? lost(1)
                                : new DbQueryException("[primary] 42P01 relation does not exist", null, "42P01", "primary", false, null, null, null))
                                .transformDeferred(retry(FIXED)),
                        () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(100))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(DbQueryException.class);
                    assertThat(error.getSuppressed()).extracting(Throwable::getMessage).containsExactly("[primary] connection lost 1");
                })
                .verify(Duration.ofSeconds(5));
        assertThat(subscriptions).hasValue(2);
    }

    @Test
    void neverRetriesOnceAnElementWasEmitted() {
        StepVerifier.withVirtualTime(() -> Flux.defer(() -> {
                            subscriptions.incrementAndGet();
                            return Flux.concat(Flux.just("first row"), Flux.<String>error(lost(1)));
                        }).transformDeferred(retry(FIXED)), () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectNext("first row")
                .expectErrorMessage("[primary] connection lost 1")
                .verify(Duration.ofSeconds(5));
        assertThat(subscriptions).hasValue(1);
        assertThat(retries).isEmpty();
    }

    @Test
    void retriesSerializationConflictsWithTheirClassification() {
        StepVerifier.withVirtualTime(() -> failing(1, n -> new DbTransactionException("[primary] 40001 could not serialize access", null,
                                "40001", "primary", true)).transformDeferred(retry(FIXED)), () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .thenAwait(Duration.ofMillis(100))
                .expectNext("ok")
                .verifyComplete();
        assertThat(retries).containsExactly("2/3 RETRYABLE_TRANSACTION 100ms [primary] 40001 could not serialize access");
    }

    @Test
    void cancellingDuringTheDelayDoesNotResubscribe() {
        StepVerifier.withVirtualTime(() -> failing(Integer.MAX_VALUE, RetryOperatorTest::lost).transformDeferred(retry(FIXED)),
                        () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .thenAwait(Duration.ofMillis(50))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
        scheduler.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(subscriptions).hasValue(1);
    }

    @Test
    void eachSubscriptionHasItsOwnBudget() {
        // transform: the operator is applied once, and still gives every subscription its own attempts.
        Flux<String> retried = failing(Integer.MAX_VALUE, RetryOperatorTest::lost).transform(retry(FIXED));
        StepVerifier.withVirtualTime(() -> Flux.concat(retried.onErrorResume(e -> Flux.empty()), retried), () -> scheduler, Long.MAX_VALUE)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(600))
                .expectError(DbConnectionException.class)
                .verify(Duration.ofSeconds(5));
        assertThat(subscribedAt).containsExactly(0L, 100L, 300L, 300L, 400L, 600L);
    }
}
