package io.reactivedb.web.autoconfigure;

import io.reactivedb.devservices.DevCluster;
import java.util.Optional;

/**
 * The dev-services cluster when the application started one (no database configured): the
 * embedded default. The Spring context closes it as a bean, after the router has drained in its
 * lifecycle phase, so the servers never stop under work in flight. The cluster is started without
 * its own JVM shutdown hook for the same reason.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private final Optional<DevCluster> cluster;

    EmbeddedDatabase(Optional<DevCluster> cluster) {
        this.cluster = cluster;
    }

    /** The cluster, empty when a database is configured. */
    public Optional<DevCluster> cluster() {
        return cluster;
    }

    public boolean isEmbedded() {
        return cluster.isPresent();
    }

    @Override
    public void close() {
        cluster.ifPresent(DevCluster::close);
    }
}
