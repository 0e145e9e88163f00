package io.reactivedb.routing;

import io.reactivedb.config.ReplicaSelection;
import java.util.List;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/** Picks the endpoint a read goes to among the eligible ones. Implementations are thread-safe and lock-free. */
interface ReplicaSelector {

    /**
     * The chosen endpoint among {@code endpoints} (the router's full list, in a fixed order) that
     * pass {@code eligible}, or null when none does.
     */
    @Nullable Endpoint select(List<Endpoint> endpoints, Predicate<Endpoint> eligible);

    static ReplicaSelector of(ReplicaSelection selection, List<Endpoint> endpoints) {
        return switch (selection) {
            case WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobin(endpoints);
            case LEAST_IN_FLIGHT -> new LeastInFlight();
        };
    }
}
