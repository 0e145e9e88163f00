package io.reactivedb.routing;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * The eligible endpoint with the fewest units of work in flight from this router. The scan starts
 * at a rotating offset so that ties are spread round robin instead of piling onto the first one.
 */
final class LeastInFlight implements ReplicaSelector {

    private final AtomicInteger offset = new AtomicInteger();

    @Override
    public int select(List<EndpointState> endpoints, IntPredicate eligible) {
        int size = endpoints.size();
        if (size == 0) {
            return NONE;
        }
        int start = Math.floorMod(offset.getAndIncrement(), size);
        int best = NONE;
        int bestLoad = Integer.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            int candidate = (start + i) % size;
            if (eligible.test(candidate)) {
                int load = endpoints.get(candidate).inFlight();
                if (load < bestLoad) {
                    best = candidate;
                    bestLoad = load;
                }
            }
        }
        return best;
    }
}
