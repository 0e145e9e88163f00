package io.reactivedb.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/** Deadlines on virtual time: expiry within one tick, nothing fires for what ended, late elements go back. */
class DeadlinesTest {

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final Deadlines deadlines = new Deadlines(time);

    @AfterEach
    void dispose() {
        deadlines.dispose();
        time.dispose();
    }

    @Test
    void aUnitStillRunningAtItsDeadlineFailsWithinOneTickAndIsCancelled() {
        Sinks.Many<String> never = Sinks.many().unicast().onBackpressureBuffer();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Disposable subscription = never.asFlux().transform(deadlines.<String>within(Duration.ofMillis(100)))
                .subscribe(value -> { }, errors::add);

        time.advanceTimeBy(Duration.ofMillis(99));
        assertThat(errors).isEmpty();
        time.advanceTimeBy(Deadlines.TICK);
        assertThat(errors).singleElement().isInstanceOf(TimeoutException.class)
                .extracting(Throwable::getMessage).isEqualTo("Did not terminate within 100 ms");
        assertThat(never.currentSubscriberCount()).as("upstream cancelled").isZero();
        assertThat(deadlines.registered()).isZero();
        subscription.dispose();
    }

    @Test
    void failPendingEndsTheUnfinishedSubscriptionsOfOneGroupAtOnceWithTheGivenError() {
        Object pool = new Object();
        Object otherPool = new Object();
        Sinks.Many<String> first = Sinks.many().unicast().onBackpressureBuffer();
        Sinks.Many<String> second = Sinks.many().unicast().onBackpressureBuffer();
        Sinks.Many<String> elsewhere = Sinks.many().unicast().onBackpressureBuffer();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Throwable> otherErrors = new CopyOnWriteArrayList<>();
        first.asFlux().transform(deadlines.<String>within(Duration.ofSeconds(30), late -> { }, pool)).subscribe(value -> { }, errors::add);
        second.asFlux().transform(deadlines.<String>within(Duration.ofSeconds(30), late -> { }, pool)).subscribe(value -> { }, errors::add);
        elsewhere.asFlux().transform(deadlines.<String>within(Duration.ofSeconds(30), late -> { }, otherPool))
                .subscribe(value -> { }, otherErrors::add);
        // One of the pool's subscriptions that already ended is not failed again.
        StepVerifier.create(Flux.just("done").transform(deadlines.<String>within(Duration.ofSeconds(30), late -> { }, pool)))
                .expectNext("done")
                .verifyComplete();

        IllegalStateException refused = new IllegalStateException("connection refused");
        assertThat(deadlines.failPending(pool, () -> refused)).isEqualTo(2);

        assertThat(errors).containsExactly(refused, refused);
        assertThat(first.currentSubscriberCount()).as("upstream cancelled").isZero();
        assertThat(second.currentSubscriberCount()).as("upstream cancelled").isZero();
        assertThat(otherErrors).isEmpty();
        assertThat(elsewhere.currentSubscriberCount()).isEqualTo(1);
        assertThat(deadlines.failPending(pool, () -> refused)).isZero();
        time.advanceTimeBy(Duration.ofSeconds(31));
        assertThat(otherErrors).singleElement().isInstanceOf(TimeoutException.class);
    }

    @Test
    void aUnitThatEndsInTimeNeverFailsAndIsUnlinkedByTheNextSweep() {
        StepVerifier.create(Flux.just("a", "b").transform(deadlines.<String>within(Duration.ofMillis(50))))
                .expectNext("a", "b")
                .verifyComplete();
        assertThat(deadlines.registered()).isEqualTo(1);
        time.advanceTimeBy(Deadlines.TICK);
        assertThat(deadlines.registered()).isZero();
        time.advanceTimeBy(Duration.ofSeconds(1));
    }

    @Test
    void aCancelledUnitNeverFails() {
        Sinks.Many<String> never = Sinks.many().unicast().onBackpressureBuffer();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Disposable subscription = never.asFlux().transform(deadlines.<String>within(Duration.ofMillis(30)))
                .subscribe(value -> { }, errors::add);
        subscription.dispose();
        time.advanceTimeBy(Duration.ofMillis(200));
        assertThat(errors).isEmpty();
        assertThat(deadlines.registered()).isZero();
    }

    @Test
    void anElementArrivingAfterTheDeadlineGoesToTheLateConsumer() {
        // A source that, like a pool handing out a connection just as the deadline fires, emits after the cancel.
        AtomicReference<Subscriber<? super String>> downstream = new AtomicReference<>();
        Publisher<String> racing = subscriber -> {
            downstream.set(subscriber);
            subscriber.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
        };
        List<String> late = new CopyOnWriteArrayList<>();
        List<String> received = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Flux.from(racing).transform(deadlines.<String>within(Duration.ofMillis(20), late::add)).subscribe(received::add, errors::add);

        time.advanceTimeBy(Duration.ofMillis(30));
        downstream.get().onNext("connection");

        assertThat(errors).singleElement().isInstanceOf(TimeoutException.class);
        assertThat(received).isEmpty();
        assertThat(late).containsExactly("connection");
    }

    @Test
    void eachSubscriptionTakesItsOwnDeadline() {
        Flux<String> slow = Flux.<String>never().transform(deadlines.within(Duration.ofMillis(100)));
        List<Throwable> first = new CopyOnWriteArrayList<>();
        List<Throwable> second = new CopyOnWriteArrayList<>();
        slow.subscribe(value -> { }, first::add);
        time.advanceTimeBy(Duration.ofMillis(60));
        slow.subscribe(value -> { }, second::add);
        time.advanceTimeBy(Duration.ofMillis(50));
        assertThat(first).hasSize(1);
        assertThat(second).isEmpty();
        time.advanceTimeBy(Duration.ofMillis(60));
        assertThat(second).hasSize(1);
    }
}
