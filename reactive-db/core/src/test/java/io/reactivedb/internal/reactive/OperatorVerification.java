package io.reactivedb.internal.reactive;

import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import reactor.core.publisher.Flux;

/**
 * The Reactive Streams TCK's publisher rules, run on one of the library's operators over
 * {@code Flux.range}: the operator must keep the rules its source keeps. A subclass says how the
 * operator is applied.
 */
public abstract class OperatorVerification extends PublisherVerification<Integer> {

    /** Generous for a shared two-core machine; a signal that is expected not to come is awaited this long. */
    private static final long TIMEOUT_MILLIS = 1_000;
    private static final long NO_SIGNAL_MILLIS = 100;
    private static final long REFERENCE_CLEANUP_MILLIS = 1_000;

    protected OperatorVerification() {
        super(new TestEnvironment(TIMEOUT_MILLIS, NO_SIGNAL_MILLIS), REFERENCE_CLEANUP_MILLIS);
    }

    /** The operator under test applied to {@code source}. */
    protected abstract Flux<Integer> apply(Flux<Integer> source);

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        // Beyond Integer.MAX_VALUE the TCK only checks demand, never that the source runs dry.
        return apply(Flux.range(0, (int) Math.min(elements, Integer.MAX_VALUE)));
    }

    @Override
    public Publisher<Integer> createFailedPublisher() {
        return apply(Flux.error(new IllegalStateException("failed on purpose")));
    }
}
