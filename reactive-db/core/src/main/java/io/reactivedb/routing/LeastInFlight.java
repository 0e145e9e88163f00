package io.reactivedb.routing;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The eligible endpoint with the fewest units of work in flight from this router. The scan starts
 * at a rotating offset so that ties are spread round robin instead of piling onto the first one.
 */
final class LeastInFlight implements ReplicaSelector {

    private final AtomicInteger offset = new AtomicInteger();

    @Override
    public @Nullable Endpoint select(List<Endpoint> endpoints, Predicate<Endpoint> eligible) {
        int size = endpoints.size();
        if (size == 0) {
            return null;
        }
        int start = Math.floorMod(offset.getAndIncrement(), size);
        Endpoint best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            Endpoint candidate = endpoints.get((start + i) % size);
            if (eligible.test(candidate)) {
                int load = candidate.inFlight();
                if (load < bestLoad) {
                    best = candidate;
                    bestLoad = load;
                }
            }
        }
        return best;
    }
}
