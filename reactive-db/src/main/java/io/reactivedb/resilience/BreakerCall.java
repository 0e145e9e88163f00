package io.reactivedb.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

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
 */
final class BreakerCall<T> extends FluxOperator<T, T> {

    /** Permission requests per subscription when the breaker keeps changing state under them. */
    private static final int MAX_TRIES = 3;

    private final CircuitBreaker breaker;
    private final @Nullable LongSupplier start;
    private final Function<CircuitBreaker.State, ? extends Throwable> refusal;

    /**
     * @param start   the call's start in the breaker's timestamp unit, read when the call ends;
     *                {@link EndpointBreakers#NOT_STARTED} when it never started; null to time from subscription
     * @param refusal the error a refused subscriber gets, from the breaker's state read once after the refusal
     */
    BreakerCall(Flux<? extends T> source, CircuitBreaker breaker, @Nullable LongSupplier start,
                Function<CircuitBreaker.State, ? extends Throwable> refusal) {
        super(source);
        this.breaker = breaker;
        this.start = start;
        this.refusal = refusal;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        for (int tries = 1; !breaker.tryAcquirePermission(); tries++) {
            CircuitBreaker.State state = breaker.getState();
            if (refuses(state) || tries == MAX_TRIES) {
                Operators.error(actual, refusal.apply(state));
                return;
            }
            // It lets calls through again right after refusing this one (the last trial call closed
            // it in between, on another thread): ask again rather than refuse with a closed breaker.
        }
        LongSupplier callStart = start;
        if (callStart == null) {
            long subscribed = breaker.getCurrentTimestamp();
            callStart = () -> subscribed;
        }
        source.subscribe(new CallSubscriber<>(actual, breaker, callStart));
    }

    /** The states in which a breaker refuses calls by design. */
    static boolean refuses(CircuitBreaker.State state) {
        return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.HALF_OPEN || state == CircuitBreaker.State.FORCED_OPEN;
    }

    private static final class CallSubscriber<T> extends AtomicBoolean implements CoreSubscriber<T>, Subscription {
        private final CoreSubscriber<? super T> actual;
        /** Fixed at subscription, as every Context is: read once here instead of through the chain on each call. */
        private final Context context;
        private final CircuitBreaker breaker;
        private final LongSupplier start;
        private @Nullable Subscription upstream;
        private volatile boolean emitted;

        CallSubscriber(CoreSubscriber<? super T> actual, CircuitBreaker breaker, LongSupplier start) {
            this.actual = actual;
            this.context = actual.currentContext();
            this.breaker = breaker;
            this.start = start;
        }

        @Override
        public Context currentContext() {
            return context;
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (Operators.validate(upstream, subscription)) {
                upstream = subscription;
                actual.onSubscribe(this);
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
        public void onError(Throwable error) {
            if (compareAndSet(false, true)) {
                breaker.onError(duration(), breaker.getTimestampUnit(), error);
            }
            actual.onError(error);
        }

        @Override
        public void onComplete() {
            if (compareAndSet(false, true)) {
                breaker.onSuccess(duration(), breaker.getTimestampUnit());
            }
            actual.onComplete();
        }

        @Override
        public void request(long n) {
            Subscription s = upstream;
            if (s != null) {
                s.request(n);
            }
        }

        @Override
        public void cancel() {
            Subscription s = upstream;
            if (s != null) {
                s.cancel();
            }
            if (compareAndSet(false, true)) {
                if (emitted) {
                    breaker.onSuccess(duration(), breaker.getTimestampUnit());
                } else {
                    breaker.releasePermission();
                }
            }
        }

        private long duration() {
            long started = start.getAsLong();
            return started == EndpointBreakers.NOT_STARTED ? 0 : Math.max(0, breaker.getCurrentTimestamp() - started);
        }
    }
}
