package io.reactivedb.routing;

import io.reactivedb.error.DbQueryException;
import io.reactivedb.error.DbTransactionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.core.publisher.SignalType;
import reactor.util.context.Context;

/**
 * Counts a unit of work in flight from its subscription to its end and reports how it ended: one
 * operator where {@code doOnSubscribe}, {@code doOnError} and {@code doFinally} took three, as it
 * sits on the path of every unit. The end is reported once, and before the terminal signal goes
 * downstream (as {@code doOnTerminate}, not {@code doFinally}): a caller that has seen the unit
 * end, say a {@code block()} that returned, finds it uncounted and its timer recorded. Reporting
 * after the signal let such a caller, on a busy machine, read the metrics or the in-flight count
 * before the report. A cancel is reported after it has gone upstream.
 */
final class Observed<T> extends FluxOperator<T, T> {

    /** Told once how the unit ended; {@code error} is set for {@link SignalType#ON_ERROR}. */
    @FunctionalInterface
    interface Ending {
        void ended(SignalType signal, @Nullable Throwable error);
    }

    private final AtomicInteger inFlight;
    private final @Nullable AtomicLong answered;
    private final @Nullable Ending ending;

    /** @param ending null to count only */
    Observed(Flux<? extends T> source, AtomicInteger inFlight, @Nullable Ending ending) {
        this(source, inFlight, null, ending);
    }

    /**
     * @param answered counts the units that got the server's answer, once each: an element came,
     *                 or it completed, or failed with an error the server sent ({@link DbQueryException},
     *                 {@link DbTransactionException}); null to count none
     * @param ending   null to count only
     */
    Observed(Flux<? extends T> source, AtomicInteger inFlight, @Nullable AtomicLong answered, @Nullable Ending ending) {
        super(source);
        this.inFlight = inFlight;
        this.answered = answered;
        this.ending = ending;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        source.subscribe(new ObservedSubscriber<>(actual, inFlight, answered, ending));
    }

    private static final class ObservedSubscriber<T> extends AtomicBoolean implements CoreSubscriber<T>, Subscription {
        private final CoreSubscriber<? super T> actual;
        /** Fixed at subscription: read once, not through the whole chain below on every lookup. */
        private final Context context;
        private final AtomicInteger inFlight;
        private final @Nullable AtomicLong answered;
        private final @Nullable Ending ending;
        private @Nullable Subscription upstream;
        /** An element has come: the unit counts as answered once, whatever its end. */
        private boolean sawElement;

        ObservedSubscriber(CoreSubscriber<? super T> actual, AtomicInteger inFlight, @Nullable AtomicLong answered, @Nullable Ending ending) {
            this.actual = actual;
            this.context = actual.currentContext();
            this.inFlight = inFlight;
            this.answered = answered;
            this.ending = ending;
        }

        @Override
        public Context currentContext() {
            return context;
        }

        @Override
        public void onSubscribe(Subscription subscription) {
            if (Operators.validate(upstream, subscription)) {
                upstream = subscription;
                inFlight.incrementAndGet();
                actual.onSubscribe(this);
            }
        }

        @Override
        public void onNext(T value) {
            if (!sawElement) {
                // The server answered: a unit ended by the caller after its first row (next(),
                // take(1)) counts, as one that completed does.
                sawElement = true;
                if (answered != null) {
                    answered.incrementAndGet();
                }
            }
            actual.onNext(value);
        }

        @Override
        public void onError(Throwable error) {
            end(SignalType.ON_ERROR, error);
            actual.onError(error);
        }

        @Override
        public void onComplete() {
            end(SignalType.ON_COMPLETE, null);
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
            try {
                if (s != null) {
                    s.cancel();
                }
            } finally {
                end(SignalType.CANCEL, null);
            }
        }

        private void end(SignalType signal, @Nullable Throwable error) {
            if (compareAndSet(false, true)) {
                inFlight.decrementAndGet();
                if (answered != null && !sawElement && (signal == SignalType.ON_COMPLETE
                        || error instanceof DbQueryException || error instanceof DbTransactionException)) {
                    answered.incrementAndGet();
                }
                if (ending != null) {
                    try {
                        ending.ended(signal, error);
                    } catch (RuntimeException e) {
                        Operators.onErrorDropped(e, context);
                    }
                }
            }
        }
    }
}
