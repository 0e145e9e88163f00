package io.reactivedb.resilience;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.reactivedb.internal.resilience.EndpointBreakers;
import java.time.Instant;
import java.util.Objects;

/**
 * A state change of an endpoint's circuit breaker, for example {@code CLOSED -> OPEN}.
 *
 * @param at when it happened, by the breaker's clock (the scheduler's for
 *           {@link EndpointBreakers#create(BreakerSettings, reactor.core.scheduler.Scheduler)})
 */
public record BreakerTransition(String endpoint, CircuitBreaker.State from, CircuitBreaker.State to, Instant at) {

    public BreakerTransition {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(at, "at");
    }
}
