package io.reactivedb.routing;

import io.reactivedb.config.ReplicaSelection;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Picks the replica a read goes to among those in rotation. Implementations are thread-safe and lock-free. */
interface ReplicaSelector {

    /** The chosen replica, or null when none of {@code replicas} is in rotation. */
    @Nullable Endpoint select(List<Endpoint> replicas);

    static ReplicaSelector of(ReplicaSelection selection, List<Endpoint> replicas) {
        return switch (selection) {
            case WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobin(replicas);
            case LEAST_IN_FLIGHT -> new LeastInFlight();
        };
    }
}
