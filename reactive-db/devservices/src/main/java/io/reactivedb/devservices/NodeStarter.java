package io.reactivedb.devservices;

import io.reactivedb.config.Secret;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the nodes of a new cluster in its folder: the primary from {@code initdb} with its
 * configuration, roles and extensions, and replicas from {@code pg_basebackup}, each started on a
 * free loopback port. Blocking, every step bounded by the one deadline of the cluster start.
 */
final class NodeStarter {

    private static final Logger LOG = LoggerFactory.getLogger(NodeStarter.class);
    private static final int PORT_ATTEMPTS = 5;

    private final PgControl control;
    private final Path directory;
    private final Deadline deadline;

    NodeStarter(PgControl control, Path directory, Deadline deadline) {
        this.control = control;
        this.directory = directory;
        this.deadline = deadline;
    }

    /** {@code node-0}: initdb with the superuser password, configuration, TLS when given, roles and pg_stat_statements. */
    DevNode primary(DevClusterOptions options, Secret superuserPassword, String rolesScript, Optional<DevTls> tls) {
        Path dataDir = directory.resolve(DevNode.nameOf(0));
        Path logFile = directory.resolve(DevNode.nameOf(0) + ".log");
        initdb(dataDir, superuserPassword);
        appendLines(dataDir.resolve("postgresql.conf"), primaryConf(options));
        writeLines(dataDir.resolve("pg_hba.conf"), DevRoles.hba(tls.isPresent()));
        tls.ifPresent(material -> {
            material.installOn(dataDir, control.runner());
            appendLines(dataDir.resolve("postgresql.conf"), DevTls.serverConf());
        });
        int port = startOnFreePort(dataDir, logFile);
        control.psqlScript(port, DevCluster.MAINTENANCE_DATABASE, rolesScript, superuserPassword, deadline.remaining());
        control.psqlScript(port, options.database(), DevRoles.databaseScript(options), superuserPassword, deadline.remaining());
        control.psql(port, options.database(), "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", superuserPassword,
                deadline.remaining());
        return new DevNode(0, DevCluster.HOST, port, dataDir, logFile);
    }

    /** {@code node-<index>}: a base backup of the primary, streaming from it under its own cluster name. */
    DevNode replica(int index, DevNode primary) {
        String name = DevNode.nameOf(index);
        Path dataDir = directory.resolve(name);
        Path logFile = directory.resolve(name + ".log");
        control.basebackup(primary.port(), dataDir, "replica_" + index, deadline.remaining());
        appendLines(dataDir.resolve("postgresql.conf"), List.of("cluster_name = '" + name + "'"));
        int port = startOnFreePort(dataDir, logFile);
        return new DevNode(index, DevCluster.HOST, port, dataDir, logFile);
    }

    /** The password reaches initdb in an owner-only file, deleted right after, never on a command line. */
    private void initdb(Path dataDir, Secret superuserPassword) {
        Path passwordFile = directory.resolve("superuser.pwfile");
        try {
            Files.createFile(passwordFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(passwordFile, superuserPassword.reveal() + "\n", StandardCharsets.UTF_8);
            control.runner().chownToServerUser(passwordFile);
            control.initdb(dataDir, passwordFile, deadline.remaining());
        } catch (IOException e) {
            throw new DevServicesException("could not write the initdb password file " + passwordFile + ": " + e, e);
        } finally {
            try {
                Files.deleteIfExists(passwordFile);
            } catch (IOException e) {
                LOG.warn("Could not delete {}: {}", passwordFile, e.toString());
            }
        }
    }

    private static List<String> primaryConf(DevClusterOptions options) {
        return serverConf(options, DevCluster.HOST, "");
    }

    /**
     * The primary's {@code postgresql.conf} additions, shared with the container cluster, which
     * listens on its network and keeps the image's socket folder.
     */
    static List<String> serverConf(DevClusterOptions options, String listenAddresses, String socketDirectories) {
        List<String> lines = new ArrayList<>(List.of(
                "",
                "# --- reactive-db dev services ---",
                "listen_addresses = '" + listenAddresses + "'",
                "unix_socket_directories = '" + socketDirectories + "'",
                "cluster_name = '" + DevNode.nameOf(0) + "'",
                "wal_level = replica",
                "hot_standby = on",
                "max_wal_senders = 10",
                "max_replication_slots = 10",
                "wal_keep_size = '256MB'",
                "hot_standby_feedback = on",
                "wal_retrieve_retry_interval = '1s'",
                "max_connections = 300",
                "shared_preload_libraries = 'pg_stat_statements'",
                "fsync = off",
                "full_page_writes = off",
                "synchronous_commit = on",
                "logging_collector = off",
                "password_encryption = 'scram-sha-256'"));
        for (Map.Entry<String, String> setting : options.postgresqlConf().entrySet()) {
            lines.add(setting.getKey() + " = '" + setting.getValue().replace("'", "''") + "'");
        }
        return lines;
    }

    /**
     * Picks a free loopback port, writes it as the node's {@code port} (the last {@code port=} line
     * wins) and starts the server; when the start fails because the port was taken meanwhile,
     * tries again with another port.
     */
    private int startOnFreePort(Path dataDir, Path logFile) {
        for (int attempt = 1; ; attempt++) {
            int port = freePort();
            appendLines(dataDir.resolve("postgresql.conf"), List.of("port = " + port));
            ProcessRunner.Result result = control.attemptStart(dataDir, logFile, deadline.remaining());
            if (result.succeeded()) {
                LOG.debug("Started {} on port {}", dataDir.getFileName(), port);
                return port;
            }
            String log = Texts.tailOfFile(logFile, Texts.TAIL_LINES);
            boolean portTaken = log.contains("Address already in use") || log.contains("could not bind");
            if (portTaken && attempt < PORT_ATTEMPTS && !deadline.expired()) {
                LOG.info("Port {} was taken before {} could bind it; trying another port", port, dataDir.getFileName());
                continue;
            }
            throw new DevServicesException(result.failure().getMessage() + "\nserver log " + logFile + ":\n" + log);
        }
    }

    /** A loopback port free at the time of the call (it may be taken before it is bound). */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(DevCluster.HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new DevServicesException("could not find a free port on " + DevCluster.HOST + ": " + e, e);
        }
    }

    private static void appendLines(Path file, List<String> lines) {
        try {
            Files.write(file, lines, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new DevServicesException("could not append to " + file + ": " + e, e);
        }
    }

    private static void writeLines(Path file, List<String> lines) {
        try {
            // Truncating keeps the file's owner (the server user) and mode.
            Files.write(file, lines, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new DevServicesException("could not write " + file + ": " + e, e);
        }
    }
}
