package io.reactivedb.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.util.Objects;
import reactor.core.publisher.Flux;

/**
 * A read-only view of the router's circuit breakers, one per endpoint: their states, call metrics
 * and transitions. Holders of the view can neither change a breaker's state nor close the stream.
 */
public interface BreakerView {

    /** The state of the breaker of {@code endpoint}. */
    CircuitBreaker.State state(String endpoint);

    /** Whether {@code endpoint}'s breaker lets calls through now (see {@link EndpointBreakers#allowsCalls}). */
    boolean allowsCalls(String endpoint);

    /** The call counts of the breaker of {@code endpoint} in its sliding window (Resilience4j's read-only metrics). */
    CircuitBreaker.Metrics metrics(String endpoint);

    /** Every state change of every breaker, as it happens (see {@link EndpointBreakers#transitions()}). */
    Flux<BreakerTransition> transitions();

    /** The view of {@code breakers}. */
    static BreakerView of(EndpointBreakers breakers) {
        Objects.requireNonNull(breakers, "breakers");
        return new BreakerView() {
            @Override
            public CircuitBreaker.State state(String endpoint) {
                return breakers.breaker(endpoint).getState();
            }

            @Override
            public boolean allowsCalls(String endpoint) {
                return breakers.allowsCalls(endpoint);
            }

            @Override
            public CircuitBreaker.Metrics metrics(String endpoint) {
                return breakers.breaker(endpoint).getMetrics();
            }

            @Override
            public Flux<BreakerTransition> transitions() {
                return breakers.transitions();
            }
        };
    }
}
