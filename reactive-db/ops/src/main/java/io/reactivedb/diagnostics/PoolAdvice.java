package io.reactivedb.diagnostics;

import java.util.List;
import java.util.Optional;

/**
 * Pool tuning advice for one endpoint.
 *
 * @param observation     what the pool did in the window
 * @param sizing          the rule of thumb and connection budget; empty when the server could not be asked
 * @param recommendations what to change; empty when the pool fits its load
 */
public record PoolAdvice(String endpoint, PoolObservation observation, Optional<PoolSizing> sizing,
                         List<PoolRecommendation> recommendations) {

    public PoolAdvice {
        recommendations = List.copyOf(recommendations);
    }
}
