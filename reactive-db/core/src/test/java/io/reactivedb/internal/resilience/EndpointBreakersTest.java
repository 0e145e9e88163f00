package io.reactivedb.internal.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.resilience.BreakerSettings;
import io.reactivedb.resilience.BreakerTransition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import static org.assertj.core.api.Assertions.assertThat;

class EndpointBreakersTest {

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
    private final EndpointBreakers breakers = EndpointBreakers.create(BreakerSettings.defaults(), clock);

    private static DbConnectionException lost() {
        return new DbConnectionException("[primary] connection lost", null, "08006", "primary", true);
    }

    private static DbQueryException duplicate() {
        return new DbQueryException("[primary] 23505 duplicate key", null, "23505", "primary", false, "t_pkey", "t", null);
    }

    private void fail(String endpoint, Throwable error) {
        StepVerifier.create(Flux.<String>error(error).transformDeferred(breakers.operator(endpoint)))
                .expectErrorMatches(e -> e == error)
                .verify(Duration.ofSeconds(5));
    }

    private void succeed(String endpoint) {
        StepVerifier.create(Flux.just("ok").transformDeferred(breakers.operator(endpoint)))
                .expectNext("ok")
                .verifyComplete();
    }

    private void open(String endpoint) {
        for (int i = 0; i < BreakerSettings.DEFAULT_MINIMUM_NUMBER_OF_CALLS; i++) {
            fail(endpoint, lost());
        }
    }

    @Test
    void tenConnectionFailuresOpenTheBreaker() {
        for (int i = 0; i < 9; i++) {
            fail("primary", lost());
        }
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.CLOSED);
        fail("primary", lost());
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.OPEN);
        assertThat(breakers.allowsCalls("primary")).isFalse();
        assertThat(breakers.allowsCalls("replica-1")).isTrue();
    }

    @Test
    void tenUniqueViolationsDoNotOpenIt() {
        for (int i = 0; i < 10; i++) {
            fail("primary", duplicate());
        }
        fail("primary", new IllegalArgumentException("caller's own bug"));
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.CLOSED);
        assertThat(breakers.breaker("primary").getMetrics().getNumberOfFailedCalls()).isZero();
        assertThat(breakers.allowsCalls("primary")).isTrue();
    }

    @Test
    void anOpenBreakerFailsWithDbUnavailableWithoutSubscribingUpstream() {
        open("replica-1");
        AtomicBoolean subscribed = new AtomicBoolean();
        Flux<String> work = Flux.defer(() -> {
            subscribed.set(true);
            return Flux.just("row");
        });
        StepVerifier.create(work.transformDeferred(breakers.operator("replica-1")))
                .expectErrorSatisfies(error -> {
                    assertThat(error).isInstanceOf(DbUnavailableException.class)
                            .hasMessageStartingWith("[replica-1] circuit breaker is open");
                    assertThat(((DbUnavailableException) error).endpoint()).contains("replica-1");
                })
                .verify(Duration.ofSeconds(5));
        assertThat(subscribed).isFalse();
    }

    @Test
    void theRefusalSaysWhichThresholdOpenedTheBreaker() {
        open("primary");
        StepVerifier.create(Flux.just("ok").transformDeferred(breakers.operator("primary")))
                .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining(
                        "after too many connection failures (100 % of the last 10 calls)"))
                .verify(Duration.ofSeconds(5));

        var replica = breakers.breaker("replica-1");
        for (int i = 0; i < BreakerSettings.DEFAULT_MINIMUM_NUMBER_OF_CALLS; i++) {
            replica.onSuccess(3, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(replica.getState()).isEqualTo(State.OPEN);
        StepVerifier.create(Flux.just("ok").transformDeferred(breakers.operator("replica-1")))
                .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining(
                        "after too many slow calls (100 % of the last 10 calls took 2000 ms or longer)"))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aBreakerThatClosesJustAfterRefusingACallNeverReportsItselfAsOpenAndClosed() {
        open("primary");
        clock.advanceTimeBy(Duration.ofSeconds(11));
        var breaker = breakers.breaker("primary");
        breaker.transitionToHalfOpenState();
        for (int i = 0; i < BreakerSettings.DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE; i++) {
            assertThat(breaker.tryAcquirePermission()).isTrue(); // every trial slot taken
        }
        // The last trial call finishes on another thread between the refusal and its message: the
        // not-permitted event is published inside tryAcquirePermission, right after the refusal.
        AtomicBoolean closedOnce = new AtomicBoolean();
        breaker.getEventPublisher().onCallNotPermitted(event -> {
            if (closedOnce.compareAndSet(false, true)) {
                breaker.transitionToClosedState();
            }
        });
        StepVerifier.create(Flux.just("ok").transformDeferred(breakers.operator("primary")))
                .expectNext("ok")
                .verifyComplete();
        assertThat(closedOnce).isTrue();
    }

    @Test
    void aRefusalDescribesTheStateThatRefusedTheCall() {
        open("primary");
        var breaker = breakers.breaker("primary");
        AtomicBoolean halfOpenedOnce = new AtomicBoolean();
        breaker.getEventPublisher().onCallNotPermitted(event -> {
            if (halfOpenedOnce.compareAndSet(false, true)) {
                // Between the refusal and its message the breaker moves on; the message must still be one state's.
                breaker.transitionToHalfOpenState();
                for (int i = 0; i < BreakerSettings.DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE; i++) {
                    breaker.tryAcquirePermission();
                }
            }
        });
        StepVerifier.create(Flux.just("ok").transformDeferred(breakers.operator("primary")))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(DbUnavailableException.class)
                        .message().satisfiesAnyOf(
                                m -> assertThat(m).contains("is open after").doesNotContain("HALF_OPEN").doesNotContain("trial"),
                                m -> assertThat(m).contains("is half-open").doesNotContain("is open")))
                .verify(Duration.ofSeconds(5));
    }

    /** Opens the breaker, lets its wait pass and starts every trial call; each ends {@code trialTime} later with {@code outcome}. */
    private void halfOpenWithEveryTrialInFlight(Duration trialTime, Flux<String> outcome) {
        open("primary");
        clock.advanceTimeBy(Duration.ofSeconds(11));
        for (int i = 0; i < BreakerSettings.DEFAULT_PERMITTED_CALLS_IN_HALF_OPEN_STATE; i++) {
            Mono.delay(trialTime, clock).thenMany(outcome).transform(breakers.operator("primary"))
                    .subscribe(row -> { }, error -> { });
        }
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.HALF_OPEN);
    }

    private Flux<String> queued(AtomicBoolean subscribed, Duration maxWait) {
        return Flux.defer(() -> {
            subscribed.set(true);
            return Flux.just("sent");
        }).transform(breakers.operator("primary", () -> EndpointBreakers.NOT_STARTED, () -> maxWait));
    }

    @Test
    void workRefusedForATrialSlotWaitsAndGoesOnWhenTheTrialCallsCloseTheBreaker() {
        halfOpenWithEveryTrialInFlight(Duration.ofMillis(300), Flux.just("ok"));
        AtomicBoolean subscribed = new AtomicBoolean();
        StepVerifier.create(queued(subscribed, Duration.ofSeconds(2)))
                .expectSubscription()
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(299)))
                .then(() -> assertThat(subscribed).as("sent while every trial call is in flight").isFalse())
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(1)))
                .expectNext("sent")
                .verifyComplete();
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.CLOSED);
    }

    @Test
    void workWaitingForATrialSlotFailsWithTheBreakersErrorWhenTheTrialCallsOpenItAgain() {
        halfOpenWithEveryTrialInFlight(Duration.ofMillis(300), Flux.error(lost()));
        AtomicBoolean subscribed = new AtomicBoolean();
        StepVerifier.create(queued(subscribed, Duration.ofSeconds(2)))
                .expectSubscription()
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(300)))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(DbUnavailableException.class)
                        .hasMessageStartingWith("[primary] circuit breaker is open after too many connection failures"))
                .verify(Duration.ofSeconds(5));
        assertThat(subscribed).isFalse();
    }

    @Test
    void theWaitForATrialSlotEndsWithTheUnitsAcquireDeadline() {
        halfOpenWithEveryTrialInFlight(Duration.ofMinutes(5), Flux.just("ok"));
        AtomicBoolean subscribed = new AtomicBoolean();
        StepVerifier.create(queued(subscribed, Duration.ofSeconds(2)))
                .expectSubscription()
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(1999)))
                .expectNoEvent(Duration.ZERO)
                .then(() -> clock.advanceTimeBy(Duration.ofMillis(1)))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(DbUnavailableException.class)
                        .hasMessageContaining("half-open").hasMessageContaining("2000 ms"))
                .verify(Duration.ofSeconds(5));
        assertThat(subscribed).isFalse();
        // Work that may not wait (a read that can go elsewhere) is refused at once, as before.
        StepVerifier.create(queued(subscribed, Duration.ZERO))
                .expectErrorSatisfies(error -> assertThat(error).hasMessageContaining("all its trial calls are in flight"))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void waitersLeavingTheQueueTakeNoSlotAndTheOthersGoInOrderOnceItCloses() {
        halfOpenWithEveryTrialInFlight(Duration.ofMillis(300), Flux.just("ok"));
        List<String> sent = new ArrayList<>();
        var cancelled = Flux.defer(() -> Flux.just("never")).transform(breakers.operator("primary", () -> EndpointBreakers.NOT_STARTED,
                () -> Duration.ofSeconds(2))).subscribe(sent::add);
        for (int i = 0; i < 5; i++) {
            String name = "w" + i;
            Flux.defer(() -> Flux.just(name)).transform(breakers.operator("primary", () -> EndpointBreakers.NOT_STARTED,
                    () -> Duration.ofSeconds(2))).subscribe(sent::add);
        }
        cancelled.dispose();
        clock.advanceTimeBy(Duration.ofMillis(300));
        assertThat(sent).containsExactly("w0", "w1", "w2", "w3", "w4");
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.CLOSED);
        assertThat(breakers.breaker("primary").getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(5);
    }

    /** A call that takes {@code queued} before it starts and {@code running} after, on the virtual clock. */
    private void call(String endpoint, Duration queued, Duration running, boolean withStart) {
        long[] started = {EndpointBreakers.NOT_STARTED};
        Flux<String> work = Flux.defer(() -> Mono.delay(queued, clock)
                .doOnNext(t -> started[0] = breakers.now())
                .then(Mono.delay(running, clock))
                .thenReturn("row")
                .flux());
        Flux<String> call = work.transform(withStart ? breakers.operator(endpoint, () -> started[0]) : breakers.operator(endpoint));
        List<String> rows = new ArrayList<>();
        AtomicBoolean completed = new AtomicBoolean();
        call.subscribe(rows::add, error -> { throw new AssertionError(error); }, () -> completed.set(true));
        clock.advanceTimeBy(queued.plus(running));
        assertThat(completed).isTrue();
        assertThat(rows).containsExactly("row");
    }

    @Test
    void aCallIsTimedFromItsStartSoAWaitInTheQueueIsNeverSlow() {
        for (int i = 0; i < BreakerSettings.DEFAULT_MINIMUM_NUMBER_OF_CALLS; i++) {
            call("primary", Duration.ofSeconds(5), Duration.ofMillis(10), true);
        }
        assertThat(breakers.breaker("primary").getMetrics().getNumberOfSlowCalls()).isZero();
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.CLOSED);

        // The same calls timed from their subscription are all slow, and open the breaker.
        for (int i = 0; i < BreakerSettings.DEFAULT_MINIMUM_NUMBER_OF_CALLS; i++) {
            call("replica-1", Duration.ofSeconds(5), Duration.ofMillis(10), false);
        }
        assertThat(breakers.breaker("replica-1").getState()).isEqualTo(State.OPEN);
    }

    @Test
    void aCallThatRunsPastTheSlowCallDurationAfterItsStartIsSlow() {
        for (int i = 0; i < BreakerSettings.DEFAULT_MINIMUM_NUMBER_OF_CALLS; i++) {
            call("primary", Duration.ZERO, Duration.ofSeconds(3), true);
        }
        assertThat(breakers.breaker("primary").getMetrics().getNumberOfSlowCalls()).isEqualTo(BreakerSettings.DEFAULT_MINIMUM_NUMBER_OF_CALLS);
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.OPEN);
    }

    @Test
    void aCallThatNeverStartedTakesNoTimeAndACancelBeforeAnyElementIsNotRecorded() {
        StepVerifier.create(Flux.<String>error(lost()).transform(breakers.operator("primary", () -> EndpointBreakers.NOT_STARTED)))
                .expectError(DbConnectionException.class)
                .verify(Duration.ofSeconds(5));
        assertThat(breakers.breaker("primary").getMetrics().getNumberOfFailedCalls()).isEqualTo(1);
        assertThat(breakers.breaker("primary").getMetrics().getNumberOfSlowCalls()).isZero();

        StepVerifier.create(Flux.<String>never().transform(breakers.operator("primary", () -> EndpointBreakers.NOT_STARTED)))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
        assertThat(breakers.breaker("primary").getMetrics().getNumberOfBufferedCalls()).isEqualTo(1);
        StepVerifier.create(Flux.just("a", "b").transform(breakers.operator("primary", () -> EndpointBreakers.NOT_STARTED)).take(1))
                .expectNext("a")
                .verifyComplete();
        assertThat(breakers.breaker("primary").getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
    }

    @Test
    void halfOpensAfterTheWaitOnTheSchedulersClockAndClosesAfterThePermittedSuccesses() {
        open("primary");
        clock.advanceTimeBy(Duration.ofSeconds(10));
        assertThat(breakers.allowsCalls("primary")).isFalse();
        StepVerifier.create(Flux.just("ok").transformDeferred(breakers.operator("primary")))
                .expectError(DbUnavailableException.class)
                .verify(Duration.ofSeconds(5));

        clock.advanceTimeBy(Duration.ofMillis(1));
        assertThat(breakers.allowsCalls("primary")).isTrue();
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.OPEN); // the check has no side effect

        succeed("primary");
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.HALF_OPEN);
        succeed("primary");
        succeed("primary");
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.CLOSED);
    }

    @Test
    void aFailedTrialCallOpensItAgain() {
        open("primary");
        clock.advanceTimeBy(Duration.ofSeconds(11));
        succeed("primary");
        fail("primary", lost());
        fail("primary", lost());
        assertThat(breakers.breaker("primary").getState()).isEqualTo(State.OPEN);
        assertThat(breakers.allowsCalls("primary")).isFalse();
    }

    @Test
    void transitionsAreEmittedAsTypedRecordsWithTheSchedulersTime() {
        clock.advanceTimeBy(Duration.ofSeconds(5));
        StepVerifier.create(breakers.transitions().take(3))
                .then(() -> {
                    open("primary");
                    clock.advanceTimeBy(Duration.ofSeconds(11));
                    succeed("primary");
                    succeed("primary");
                    succeed("primary");
                })
                .expectNext(new BreakerTransition("primary", State.CLOSED, State.OPEN, Instant.ofEpochSecond(5)))
                .expectNext(new BreakerTransition("primary", State.OPEN, State.HALF_OPEN, Instant.ofEpochSecond(16)))
                .expectNext(new BreakerTransition("primary", State.HALF_OPEN, State.CLOSED, Instant.ofEpochSecond(16)))
                .verifyComplete();
        assertThat(breakers.droppedTransitions()).isZero();
    }

    @Test
    void forcedOpenTakesTheEndpointOutOfRotation() {
        breakers.breaker("replica-2").transitionToForcedOpenState();
        clock.advanceTimeBy(Duration.ofMinutes(5));
        assertThat(breakers.allowsCalls("replica-2")).isFalse();
    }

    @Test
    void aPassedInRegistryKeepsItsSettingsButUsesTheClassification() {
        EndpointBreakers fromRegistry = EndpointBreakers.of(CircuitBreakerRegistry.ofDefaults()); // window 100, minimum 100 calls
        for (int i = 0; i < 100; i++) {
            StepVerifier.create(Flux.<String>error(duplicate()).transformDeferred(fromRegistry.operator("primary")))
                    .expectError(DbQueryException.class)
                    .verify(Duration.ofSeconds(5));
        }
        assertThat(fromRegistry.breaker("primary").getState()).isEqualTo(State.CLOSED);
        for (int i = 0; i < 100; i++) {
            StepVerifier.create(Flux.<String>error(lost()).transformDeferred(fromRegistry.operator("primary")))
                    .expectError()
                    .verify(Duration.ofSeconds(5));
        }
        assertThat(fromRegistry.breaker("primary").getState()).isEqualTo(State.OPEN);
    }
}
