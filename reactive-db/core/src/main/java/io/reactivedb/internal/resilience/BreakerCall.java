package io.reactivedb.internal.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.reactivedb.internal.reactive.PassThroughSubscriber;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.core.publisher.SignalType;

/**
 * Runs one subscription through a Resilience4j {@link CircuitBreaker}, with the call's duration
 * measured from a start the caller chooses: for a unit of work, the moment its connection was
 * handed over, so that time spent queueing for a connection (the client's own congestion) never
 * counts as a slow call of the server. Without a start (the unit never got a connection: it
 * failed or was cancelled in the queue) the duration is zero. Without a start supplier the call
 * is timed from its subscription, as Resilience4j's own operator does.
 *
 * <p>Same outcome rules as Resilience4j's reactor operator: the permission is taken at
 * subscription (refused: the subscriber gets the refusal, the upstream is never subscribed); a
 * completion is a success, an error goes to the breaker's classification; a cancel after an
 * element is a success, a cancel before any releases the permission unrecorded.
 *
 * <p>One exception to the refusal: with a {@link TrialQueue} and a positive wait, a subscription
 * that a half-open breaker refuses because all its trial calls are in flight waits in the queue,
 * up to that wait, for the breaker to close (then it goes on), to open again (then it gets the
 * refusal) or for a slot to come back. It is timed from the moment it goes on.
 */
final class BreakerCall<T> extends FluxOperator<T, T> {

    /** Permission requests per subscription when the breaker keeps changing state under them. */
    private static final int MAX_TRIES = 3;

    private final CircuitBreaker breaker;
    private final @Nullable LongSupplier start;
    private final Function<CircuitBreaker.State, ? extends Throwable> refusal;
    private final @Nullable TrialQueue trials;
    private final @Nullable Supplier<Duration> maxWait;
    private final @Nullable LongFunction<? extends Throwable> waitedTooLong;

    /**
     * @param start   the call's start in the breaker's timestamp unit, read when the call ends;
     *                {@link EndpointBreakers#NOT_STARTED} when it never started; null to time from subscription
     * @param refusal the error a refused subscriber gets, from the breaker's state read once after the refusal
     */
    BreakerCall(Flux<? extends T> source, CircuitBreaker breaker, @Nullable LongSupplier start,
                Function<CircuitBreaker.State, ? extends Throwable> refusal) {
        this(source, breaker, start, refusal, null, null, null);
    }

    /**
     * @param trials        where a call refused for want of a trial slot waits, or null to refuse it at once
     * @param maxWait       read at subscription: how long such a call may wait (zero: not at all)
     * @param waitedTooLong the error of a call whose wait ran out, from how long it waited in milliseconds
     */
    BreakerCall(Flux<? extends T> source, CircuitBreaker breaker, @Nullable LongSupplier start,
                Function<CircuitBreaker.State, ? extends Throwable> refusal, @Nullable TrialQueue trials,
                @Nullable Supplier<Duration> maxWait, @Nullable LongFunction<? extends Throwable> waitedTooLong) {
        super(source);
        this.breaker = breaker;
        this.start = start;
        this.refusal = refusal;
        this.trials = trials;
        this.maxWait = maxWait;
        this.waitedTooLong = waitedTooLong;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        for (int tries = 1; !breaker.tryAcquirePermission(); tries++) {
            CircuitBreaker.State state = breaker.getState();
            if (state == CircuitBreaker.State.HALF_OPEN && trials != null && maxWait != null && waitedTooLong != null) {
                long waitMillis = maxWait.get().toMillis();
                if (waitMillis > 0) {
                    Waiting<T> waiting = new Waiting<>(this, actual, trials, waitedTooLong);
                    actual.onSubscribe(waiting);
                    waiting.await(waitMillis);
                    return;
                }
            }
            if (refuses(state) || tries == MAX_TRIES) {
                Operators.error(actual, refusal.apply(state));
                return;
            }
            // It lets calls through again right after refusing this one (the last trial call closed
            // it in between, on another thread): ask again rather than refuse with a closed breaker.
        }
        call(actual, null);
    }

    /**
     * Runs the call, its permission taken.
     *
     * @param waiting the subscription the subscriber already holds when the call waited for a slot, else null
     */
    private void call(CoreSubscriber<? super T> actual, Operators.@Nullable DeferredSubscription waiting) {
        LongSupplier callStart = start;
        if (callStart == null) {
            long subscribed = breaker.getCurrentTimestamp();
            callStart = () -> subscribed;
        }
        source.subscribe(new CallSubscriber<>(actual, breaker, callStart, waiting, trials));
    }

    /** The states in which a breaker refuses calls by design. */
    static boolean refuses(CircuitBreaker.State state) {
        return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.HALF_OPEN || state == CircuitBreaker.State.FORCED_OPEN;
    }

    /**
     * A subscription waiting for a trial slot: the subscriber holds it from the start, and it passes
     * requests and a cancel on to the call once the call runs.
     */
    private static final class Waiting<T> extends Operators.DeferredSubscription implements TrialQueue.Waiter {
        private static final int WAITING = 0;
        private static final int STARTED = 1;
        private static final int DONE = 2;

        private final BreakerCall<T> call;
        private final CoreSubscriber<? super T> actual;
        private final TrialQueue trials;
        private final LongFunction<? extends Throwable> waitedTooLong;
        private final AtomicInteger state = new AtomicInteger(WAITING);
        private volatile @Nullable Disposable timer;
        private long since;

        Waiting(BreakerCall<T> call, CoreSubscriber<? super T> actual, TrialQueue trials, LongFunction<? extends Throwable> waitedTooLong) {
            this.call = call;
            this.actual = actual;
            this.trials = trials;
            this.waitedTooLong = waitedTooLong;
        }

        void await(long waitMillis) {
            since = trials.now();
            timer = trials.timer(() -> refuse(waitedTooLong.apply(trials.now() - since)), waitMillis);
            if (state.get() != WAITING) {
                stopTimer(); // granted, refused or cancelled before the timer was armed
            }
            trials.enqueue(this);
        }

        @Override
        public boolean isWaiting() {
            return state.get() == WAITING;
        }

        @Override
        public boolean grant() {
            if (!state.compareAndSet(WAITING, STARTED)) {
                return false;
            }
            stopTimer();
            call.call(actual, this);
            return true;
        }

        @Override
        public void refuse(Throwable error) {
            if (state.compareAndSet(WAITING, DONE)) {
                stopTimer();
                actual.onError(error);
            }
        }

        @Override
        public void cancel() {
            super.cancel(); // a started call is cancelled through here, and gives its slot back
            if (state.compareAndSet(WAITING, DONE)) {
                stopTimer(); // the queue unlinks it when its turn comes
            }
        }

        private void stopTimer() {
            Disposable t = timer;
            if (t != null) {
                t.dispose();
            }
        }
    }

    private static final class CallSubscriber<T> extends PassThroughSubscriber<T> {
        private final CircuitBreaker breaker;
        private final LongSupplier start;
        private final Operators.@Nullable DeferredSubscription waiting;
        private final @Nullable TrialQueue trials;
        private volatile boolean emitted;

        CallSubscriber(CoreSubscriber<? super T> actual, CircuitBreaker breaker, LongSupplier start,
                       Operators.@Nullable DeferredSubscription waiting, @Nullable TrialQueue trials) {
            super(actual);
            this.breaker = breaker;
            this.start = start;
            this.waiting = waiting;
            this.trials = trials;
        }

        @Override
        protected void subscribed() {
            if (waiting != null) {
                waiting.set(this); // the subscriber holds the waiting subscription already
            } else {
                super.subscribed();
            }
        }

        @Override
        public void onNext(T value) {
            if (!emitted) {
                emitted = true;
            }
            actual.onNext(value);
        }

        @Override
        protected void ended(SignalType signal, @Nullable Throwable error) {
            if (error != null) {
                breaker.onError(duration(), breaker.getTimestampUnit(), error);
            } else if (signal == SignalType.ON_COMPLETE || emitted) {
                breaker.onSuccess(duration(), breaker.getTimestampUnit());
            } else {
                breaker.releasePermission();
                if (trials != null) {
                    trials.drain(); // a trial slot came back
                }
            }
        }

        private long duration() {
            long started = start.getAsLong();
            return started == EndpointBreakers.NOT_STARTED ? 0 : Math.max(0, breaker.getCurrentTimestamp() - started);
        }
    }
}
