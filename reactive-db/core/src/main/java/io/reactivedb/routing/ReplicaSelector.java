package io.reactivedb.routing;

import io.reactivedb.config.ReplicaSelection;
import java.util.List;
import java.util.function.IntPredicate;

/** Picks the endpoint a read goes to among the eligible ones. Implementations are thread-safe and lock-free. */
interface ReplicaSelector {

    /** What {@link #select} returns when no endpoint is eligible. */
    int NONE = -1;

    /**
     * The index of the chosen endpoint among {@code endpoints} (the router's full list, in a fixed
     * order) whose index passes {@code eligible}, or {@link #NONE}.
     */
    int select(List<EndpointState> endpoints, IntPredicate eligible);

    /**
     * @throws IllegalArgumentException when {@code endpoints} is more than a weighted round robin
     *                                  can address
     */
    static ReplicaSelector of(ReplicaSelection selection, int endpoints) {
        return switch (selection) {
            case WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobin(endpoints);
            case LEAST_IN_FLIGHT -> new LeastInFlight();
        };
    }
}
