package io.reactivedb.devservices;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starting a {@link DevCluster} from the local binaries: stale folders removed, the primary and its
 * replicas created and started, streaming awaited, PgBouncer started when asked; on failure
 * everything started so far stopped and deleted.
 */
final class LocalClusterStart {

    private static final Logger LOG = LoggerFactory.getLogger(DevCluster.class);

    private LocalClusterStart() {
    }

    static DevCluster start(DevClusterOptions options) {
        java.util.Objects.requireNonNull(options, "options");
        if (options.provider() == DevClusterProvider.CONTAINERS) {
            throw new DevServicesException("DevCluster.start runs the local PostgreSQL binaries, but the options ask for"
                    + " provider containers; start it with DevServicesCluster.start(options), or take a DevServicesCluster"
                    + " parameter with @DevClusterTest");
        }
        long startNanos = System.nanoTime();
        PgControl control = PgControl.locate(options.binDir());
        String version = control.serverVersion();
        ClusterFolders.removeStaleEverywhere(options.baseDir(), control);
        Deadline deadline = Deadline.in(options.startTimeout());
        Path directory = ClusterFolders.create(options.baseDir(), control.runner());
        DevPasswords passwords = DevPasswords.generate(control.runner());
        ShutdownHook hook = ShutdownHook.install(options.shutdownHook(), directory, control);
        try {
            Optional<DevTls> tls = options.tls() ? Optional.of(DevTls.create(directory)) : Optional.empty();
            NodeStarter starter = new NodeStarter(control, directory, deadline);
            DevNode primary = starter.primary(options, passwords.superuser(),
                    DevRoles.clusterScript(options, passwords), tls);
            List<DevNode> replicas = new ArrayList<>();
            for (int i = 1; i <= options.replicas(); i++) {
                replicas.add(starter.replica(i, primary));
            }
            DevCluster cluster = new DevCluster(options, control, version, directory, primary, replicas, passwords, tls, hook);
            cluster.awaitReplicasStreaming(deadline.remaining());
            if (options.pgbouncer().isPresent()) {
                cluster.pgBouncer = cluster.startPgBouncer(options.pgbouncer().get());
            }
            LOG.info("Started dev cluster ({}) in {}: primary {}, replicas {}; data in {}", version,
                    Texts.seconds(startNanos), cluster.databaseUrl(primary),
                    replicas.stream().map(cluster::databaseUrl).collect(Collectors.toList()), directory);
            return cluster;
        } catch (RuntimeException | Error e) {
            try {
                ClusterFolders.destroy(directory, control);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            hook.remove();
            throw e;
        }
    }
}
