package io.reactivedb.internal.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.reactivedb.internal.reactive.OperatorVerification;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * The Reactive Streams TCK on {@link BreakerCall}: through a closed breaker, and as the failed
 * publisher, refused by an open one.
 */
public class BreakerCallTckTest extends OperatorVerification {

    @Override
    protected Flux<Integer> apply(Flux<Integer> source) {
        return new BreakerCall<>(source, CircuitBreaker.ofDefaults("tck"), null, BreakerCallTckTest::refusal);
    }

    @Override
    public Publisher<Integer> createFailedPublisher() {
        CircuitBreaker open = CircuitBreaker.ofDefaults("tck-open");
        open.transitionToOpenState();
        return new BreakerCall<>(Flux.range(0, 10), open, null, BreakerCallTckTest::refusal);
    }

    private static Throwable refusal(CircuitBreaker.State state) {
        return new IllegalStateException("refused: breaker " + state);
    }
}
