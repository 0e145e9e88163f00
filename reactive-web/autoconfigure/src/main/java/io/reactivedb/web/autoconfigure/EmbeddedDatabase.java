package io.reactivedb.web.autoconfigure;

import io.reactivedb.devservices.DevCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dev-services cluster when the application started one (no database configured): the
 * embedded default. The Spring context closes it as a bean, after the router has drained in its
 * lifecycle phase, so the servers never stop under work in flight. The cluster is started without
 * its own JVM shutdown hook for the same reason.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

    private final Optional<DevCluster> cluster;
    private final Optional<Path> envFile;

    EmbeddedDatabase(Optional<DevCluster> cluster, Optional<Path> envFile) {
        this.cluster = cluster;
        this.envFile = envFile;
    }

    /** The owner-only file holding the cluster's logins ({@code reactive-db.dev-services.env-file}); empty when none was written. */
    public Optional<Path> envFile() {
        return envFile;
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
        try {
            cluster.ifPresent(DevCluster::close);
        } finally {
            // Its logins are for servers that no longer exist.
            envFile.ifPresent(file -> {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    log.warn("Could not delete {}: {}", file, e.toString());
                }
            });
        }
    }
}
