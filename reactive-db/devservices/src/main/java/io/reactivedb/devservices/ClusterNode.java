package io.reactivedb.devservices;

/**
 * One server of a {@link DevServicesCluster} as a client reaches it: {@code node-0} is started as
 * the primary, {@code node-1} … {@code node-N} as streaming replicas. The address stays the same
 * across stop and start.
 */
public interface ClusterNode {

    /** {@code node-0} for the primary, {@code node-<n>} for replica n. */
    String name();

    /** The host a client connects to: {@code 127.0.0.1} locally, the Docker host for containers. */
    String host();

    /** The TCP port a client connects to (for containers, the mapped port on the Docker host). */
    int port();
}
