package io.reactivedb.config;

/** How a read picks among the eligible replicas. */
public enum ReplicaSelection {
    /** Smooth weighted round robin over the replicas' weights. The default. */
    WEIGHTED_ROUND_ROBIN,
    /** The replica with the fewest operations in flight from this router; ties go round robin. */
    LEAST_IN_FLIGHT
}
