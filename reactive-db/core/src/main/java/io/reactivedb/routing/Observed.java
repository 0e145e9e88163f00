package io.reactivedb.routing;

import io.reactivedb.error.DbQueryException;
import io.reactivedb.error.DbTransactionException;
import io.reactivedb.internal.reactive.PassThroughSubscriber;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.core.publisher.SignalType;

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

    private static final class ObservedSubscriber<T> extends PassThroughSubscriber<T> {
        private final AtomicInteger inFlight;
        private final @Nullable AtomicLong answered;
        private final @Nullable Ending ending;
        /** An element has come: the unit counts as answered once, whatever its end. */
        private boolean sawElement;

        ObservedSubscriber(CoreSubscriber<? super T> actual, AtomicInteger inFlight, @Nullable AtomicLong answered, @Nullable Ending ending) {
            super(actual);
            this.inFlight = inFlight;
            this.answered = answered;
            this.ending = ending;
        }

        @Override
        protected void subscribed() {
            inFlight.incrementAndGet();
            super.subscribed();
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
        protected void ended(SignalType signal, @Nullable Throwable error) {
            inFlight.decrementAndGet();
            if (answered != null && !sawElement && (signal == SignalType.ON_COMPLETE
                    || error instanceof DbQueryException || error instanceof DbTransactionException)) {
                answered.incrementAndGet();
            }
            if (ending != null) {
                try {
                    ending.ended(signal, error);
                } catch (RuntimeException e) {
                    Operators.onErrorDropped(e, currentContext());
                }
            }
        }
    }
}
