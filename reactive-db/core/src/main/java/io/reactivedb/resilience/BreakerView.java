package io.reactivedb.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import reactor.core.publisher.Flux;

/**
 * A read-only view of the router's circuit breakers, one per endpoint: their states, call metrics
 * and transitions. Holders of the view can neither change a breaker's state nor close the stream.
 */
public interface BreakerView {

    /** The state of the breaker of {@code endpoint}. */
    CircuitBreaker.State state(String endpoint);

    /** Whether {@code endpoint}'s breaker lets calls through now (closed, or half-open with a trial slot free). */
    boolean allowsCalls(String endpoint);

    /** The call counts of the breaker of {@code endpoint} in its sliding window (Resilience4j's read-only metrics). */
    CircuitBreaker.Metrics metrics(String endpoint);

    /** Every state change of every breaker, as it happens. */
    Flux<BreakerTransition> transitions();
}
