package io.reactivedb.devservices;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM shutdown hook that stops a cluster's servers and deletes its folder when the cluster is
 * never closed. Cleanup is idempotent, so the hook and {@link DevCluster#close()} may both run.
 */
final class ShutdownHook {

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownHook.class);

    private final @Nullable Thread thread;

    private ShutdownHook(@Nullable Thread thread) {
        this.thread = thread;
    }

    /** Registers the hook when {@code enabled}; otherwise a hook that does nothing. */
    static ShutdownHook install(boolean enabled, Path directory, PgControl control) {
        if (!enabled) {
            return new ShutdownHook(null);
        }
        Thread thread = new Thread(() -> destroyQuietly(directory, control), "reactive-db-devservices-shutdown");
        Runtime.getRuntime().addShutdownHook(thread);
        return new ShutdownHook(thread);
    }

    /** Unregisters the hook, once the cluster cleans up by itself. */
    void remove() {
        if (thread == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(thread);
        } catch (IllegalStateException e) {
            // The JVM is shutting down; the hook runs or has run, and cleanup is idempotent.
        }
    }

    private static void destroyQuietly(Path directory, PgControl control) {
        try {
            ClusterFolders.destroy(directory, control);
            LOG.info("Shutdown hook stopped the dev cluster and deleted {}", directory);
        } catch (RuntimeException e) {
            LOG.warn("Shutdown hook could not clean up the dev cluster in {}: {}", directory, e.toString());
        }
    }
}
