package io.reactivedb.internal.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * Calls of one breaker waiting for a trial slot: refused by the half-open breaker because all its
 * trial calls were in flight, they wait in arrival order instead of failing at once (right after a
 * server restart, a burst of writes would otherwise fail although the server is back). Nothing
 * blocks: a waiter is an entry in a lock-free queue and a timer on the scheduler.
 *
 * <p>{@link #drain()} runs when the breaker changes state and when a trial call gives its slot back
 * unrecorded: while slots are free (the breaker closed, or a slot came back) the waiters at the head
 * take one each and go on; when the breaker is open again they fail with its refusal; while it stays
 * half-open with every slot taken they keep waiting. Each waiter gives up at its own deadline.
 */
final class TrialQueue {

    /** One waiting call. */
    interface Waiter {
        /** Still waiting: neither started, nor failed, nor cancelled. */
        boolean isWaiting();

        /** Starts the call with a permission already taken; false when it stopped waiting meanwhile (the permission must go back). */
        boolean grant();

        /** Fails the call with {@code error}, unless it stopped waiting meanwhile. */
        void refuse(Throwable error);
    }

    private final CircuitBreaker breaker;
    private final Scheduler scheduler;
    private final Function<CircuitBreaker.State, ? extends Throwable> refusal;
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final AtomicInteger work = new AtomicInteger();

    TrialQueue(CircuitBreaker breaker, Scheduler scheduler, Function<CircuitBreaker.State, ? extends Throwable> refusal) {
        this.breaker = breaker;
        this.scheduler = scheduler;
        this.refusal = refusal;
    }

    /** Queues {@code waiter}; its deadline is the caller's, armed with {@link #timer}. */
    void enqueue(Waiter waiter) {
        waiters.offer(waiter);
        // The breaker may have left the half-open state between the refusal and the offer, and
        // that transition's drain did not see this waiter.
        if (breaker.getState() != CircuitBreaker.State.HALF_OPEN) {
            drain();
        }
    }

    /** Runs {@code expiry} after {@code millis} on the scheduler. */
    Disposable timer(Runnable expiry, long millis) {
        return scheduler.schedule(expiry, millis, TimeUnit.MILLISECONDS);
    }

    long now() {
        return scheduler.now(TimeUnit.MILLISECONDS);
    }

    /** Lets the waiters at the head go on, or fail, as the breaker's state allows; one drainer at a time. */
    void drain() {
        if (work.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            for (Waiter waiter = waiters.peek(); waiter != null; waiter = waiters.peek()) {
                if (!waiter.isWaiting()) {
                    waiters.poll(); // expired or cancelled: unlinked here
                    continue;
                }
                CircuitBreaker.State state = breaker.getState();
                if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
                    waiters.poll();
                    waiter.refuse(refusal.apply(state));
                    continue;
                }
                if (!breaker.tryAcquirePermission()) {
                    break; // half-open with every trial slot taken: keep waiting
                }
                waiters.poll();
                if (!waiter.grant()) {
                    breaker.releasePermission();
                }
            }
            missed = work.addAndGet(-missed);
        } while (missed != 0);
    }
}
