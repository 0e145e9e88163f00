package io.reactivedb.devservices;

import io.reactivedb.tools.PostgresBinaries;
import io.reactivedb.tools.PostgresToolsException;

import io.reactivedb.config.Credentials;
import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.Pooler;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.Secret;
import io.reactivedb.config.TlsSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local PostgreSQL cluster for development and tests: one primary ({@code node-0}) and N
 * streaming replicas ({@code node-1} … {@code node-N}), each on a free loopback port, run from the
 * PostgreSQL binaries found by {@link PostgresBinaries}.
 *
 * <p>Every method here <b>blocks</b>: it runs external commands ({@code initdb}, {@code pg_ctl},
 * {@code pg_basebackup}, {@code psql}) and waits for them. Each wait is bounded, by
 * {@link DevClusterOptions#startTimeout()} (default 60 s) unless stated otherwise, and a timeout
 * fails with a {@link DevServicesException} saying what was waited for. Do not call these methods
 * from a reactive (non-blocking) thread.
 *
 * <p>Roles follow least privilege (see {@link DevRoles}): the migration user
 * ({@link #migrationUser()}, default {@code app_migrator}) owns the database {@link #database()}
 * (default {@code app}) and its {@code public} schema; the application user ({@link #appUser()},
 * default {@code app}) may read and write the migration user's tables and nothing more; the health
 * user ({@link #healthUser()}, default {@code app_health}) may run the probe queries and read
 * {@code pg_monitor} views. The superuser is {@code postgres} with {@link #superuserPassword()}.
 * Every password is random (24 URL-safe alphanumerics) and new for every cluster.
 *
 * <p>Started with {@link DevClusterOptions#tls()}, the servers accept TLS connections only and
 * {@link #tls()} holds the CA and a client certificate; {@link #settings()} then connects to
 * {@value DevTls#SERVER_HOST_NAME} with {@code verify-full}.
 *
 * <p>{@link #close()} stops every server and deletes the cluster folder; a JVM shutdown hook does
 * the same if {@code close()} is never called. Folders left by a JVM that died without either are
 * removed by the next {@link #start(DevClusterOptions)} (see the package description).
 */
public final class DevCluster implements AutoCloseable {

    /** The address every node listens on: {@value}. */
    public static final String HOST = "127.0.0.1";
    /** The superuser role: {@value}. */
    public static final String SUPERUSER = "postgres";
    /** The role replicas connect as (REPLICATION LOGIN, trusted from 127.0.0.1): {@value}. */
    public static final String REPLICATION_USER = "replicator";
    /** Endpoint name of the primary in {@link #settings()}: {@value}. */
    public static final String PRIMARY_ENDPOINT = "primary";
    /** Endpoint name prefix of the replicas in {@link #settings()}: {@code replica-1}, {@code replica-2}, … */
    public static final String REPLICA_ENDPOINT_PREFIX = "replica-";
    /** Length of generated passwords: {@value}. */
    public static final int PASSWORD_LENGTH = 24;

    private static final Logger LOG = LoggerFactory.getLogger(DevCluster.class);
    private static final String PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int PORT_ATTEMPTS = 5;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final String MAINTENANCE_DATABASE = "postgres";
    private static final String STREAMING_QUERY =
            "select application_name from pg_stat_replication where state = 'streaming' order by 1";

    private final DevClusterOptions options;
    private final PgControl control;
    private final String serverVersion;
    private final Path directory;
    private final DevNode primary;
    private final List<DevNode> replicas;
    private final List<DevNode> nodes;
    private final Secret superuserPassword;
    private final Secret appPassword;
    private final Secret migrationPassword;
    private final Secret healthPassword;
    private final Optional<DevTls> tls;
    private final @Nullable Thread shutdownHook;
    private final Set<DevNode> promoted = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger pgBouncerSets = new AtomicInteger();
    private volatile @Nullable DevPgBouncer pgBouncer;

    private DevCluster(DevClusterOptions options, PgControl control, String serverVersion, Path directory,
                       DevNode primary, List<DevNode> replicas, Secret superuserPassword, Secret appPassword,
                       Secret migrationPassword, Secret healthPassword, Optional<DevTls> tls, @Nullable Thread shutdownHook) {
        this.options = options;
        this.control = control;
        this.serverVersion = serverVersion;
        this.directory = directory;
        this.primary = primary;
        this.replicas = List.copyOf(replicas);
        List<DevNode> all = new ArrayList<>();
        all.add(primary);
        all.addAll(replicas);
        this.nodes = List.copyOf(all);
        this.superuserPassword = superuserPassword;
        this.appPassword = appPassword;
        this.migrationPassword = migrationPassword;
        this.healthPassword = healthPassword;
        this.tls = tls;
        this.shutdownHook = shutdownHook;
    }

    /**
     * Removes stale cluster folders, then creates, starts and wires a new cluster and waits until
     * every replica streams from the primary. Blocks for the whole start (a few seconds; at most
     * {@link DevClusterOptions#startTimeout()}, default 60 s, plus the bounded stop of stale servers).
     * On failure everything started so far is stopped and deleted.
     *
     * @throws DevServicesException when binaries are missing, a command fails or the start times out
     */
    public static DevCluster start(DevClusterOptions options) {
        java.util.Objects.requireNonNull(options, "options");
        long startNanos = System.nanoTime();
        PostgresBinaries binaries = locate(options);
        ProcessRunner runner = ProcessRunner.forCurrentUser();
        PgControl control = new PgControl(binaries, runner);
        String version = control.serverVersion();

        ClusterFolders.removeStale(options.baseDir(), control);
        if (!options.baseDir().equals(ClusterFolders.FALLBACK_BASE_DIR)) {
            ClusterFolders.removeStale(ClusterFolders.FALLBACK_BASE_DIR, control);
        }
        Deadline deadline = Deadline.in(options.startTimeout());
        Path directory = ClusterFolders.create(options.baseDir(), runner);
        Secret superuserPassword = Secret.of(generatePassword());
        Secret appPassword = Secret.of(generatePassword());
        runner.addSecret(superuserPassword.reveal());
        runner.addSecret(appPassword.reveal());
        Secret migrationPassword = Secret.of(generatePassword());
        Secret healthPassword = Secret.of(generatePassword());
        runner.addSecret(migrationPassword.reveal());
        runner.addSecret(healthPassword.reveal());

        Thread hook = options.shutdownHook() ? new Thread(() -> destroyQuietly(directory, control), "reactive-db-devservices-shutdown") : null;
        if (hook != null) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        try {
            Optional<DevTls> tls = options.tls() ? Optional.of(DevTls.create(directory)) : Optional.empty();
            DevNode primary = startPrimary(options, control, directory, superuserPassword,
                    DevRoles.clusterScript(options, appPassword, migrationPassword, healthPassword), tls, deadline);
            List<DevNode> replicas = new ArrayList<>();
            for (int i = 1; i <= options.replicas(); i++) {
                replicas.add(startReplica(i, primary, control, directory, deadline));
            }
            DevCluster cluster = new DevCluster(options, control, version, directory, primary, replicas,
                    superuserPassword, appPassword, migrationPassword, healthPassword, tls, hook);
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
                destroy(directory, control);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            removeHook(hook);
            throw e;
        }
    }

    /** The node started as primary ({@code node-0}); a promoted replica does not replace it here. */
    public DevNode primary() { return primary; }

    /** The nodes started as replicas, {@code node-1} first; empty with 0 replicas. */
    public List<DevNode> replicas() { return replicas; }

    /** The primary followed by the replicas. */
    public List<DevNode> nodes() { return nodes; }

    /** The application database; default {@value DevClusterOptions#DEFAULT_DATABASE}. */
    public String database() { return options.database(); }

    /** The application user; default {@value DevClusterOptions#DEFAULT_APP_USER}. */
    public String appUser() { return options.appUser(); }

    /** The application user's generated password. */
    public Secret appPassword() { return appPassword; }

    /** The migration user (owner of the schema); default {@value DevClusterOptions#DEFAULT_MIGRATION_USER}. */
    public String migrationUser() { return options.migrationUser(); }

    /** The migration user's generated password. */
    public Secret migrationPassword() { return migrationPassword; }

    /** The health user (probe queries, {@code pg_monitor}); default {@value DevClusterOptions#DEFAULT_HEALTH_USER}. */
    public String healthUser() { return options.healthUser(); }

    /** The health user's generated password. */
    public Secret healthPassword() { return healthPassword; }

    /** The TLS material of a cluster started with {@link DevClusterOptions#tls()}; empty otherwise. */
    public Optional<DevTls> tls() { return tls; }

    /** The generated password of the superuser {@value #SUPERUSER}. */
    public Secret superuserPassword() { return superuserPassword; }

    /** The first line of {@code postgres --version}, for example {@code postgres (PostgreSQL) 15.18}. */
    public String serverVersion() { return serverVersion; }

    private static PostgresBinaries locate(DevClusterOptions options) {
        try {
            return PostgresBinaries.locate(options.binDir());
        } catch (PostgresToolsException e) {
            throw new DevServicesException(e.getMessage(), e);
        }
    }

    /** The cluster folder {@code <baseDir>/cluster-<timestamp>-<pid>}, deleted by {@link #close()}. */
    public Path directory() { return directory; }

    /** The options the cluster was started with. */
    public DevClusterOptions options() { return options; }

    /** The PgBouncer started with the cluster ({@link DevClusterOptions#pgbouncer()}); empty without that option. */
    public Optional<DevPgBouncer> pgbouncer() { return Optional.ofNullable(pgBouncer); }

    /**
     * Starts PgBouncer from the system package in front of every node (see {@link DevPgBouncer}),
     * in {@code mode} ({@link Pooler#PGBOUNCER_SESSION} or {@link Pooler#PGBOUNCER_TRANSACTION}).
     * Several may run at once; each stops with {@link DevPgBouncer#close()}, and all with the
     * cluster. Blocks until each accepts connections, at most {@link DevClusterOptions#startTimeout()}.
     *
     * @throws DevServicesException when PgBouncer is not installed ({@link DevPgBouncer#binary()}) or does not start
     */
    public DevPgBouncer startPgBouncer(Pooler mode) {
        requireOpen(primary);
        return DevPgBouncer.start(this, control.runner(), pgBouncerSets.incrementAndGet(), mode, options.startTimeout());
    }

    /**
     * Router settings for the application user: the primary as endpoint {@value #PRIMARY_ENDPOINT}
     * (role PRIMARY) and replica n as {@code replica-n} (role REPLICA, weight 1), all on
     * {@value #HOST} (TLS clusters: {@value DevTls#SERVER_HOST_NAME} with {@code verify-full}) and
     * database {@link #database()}; health probes log in as {@link #healthUser()}; pool and session
     * settings are the defaults.
     */
    public ReactiveDbSettings settings() {
        ReactiveDbSettings.Builder builder = ReactiveDbSettings.builder().primary(endpoint(primary, EndpointRole.PRIMARY))
                .probeCredentials(new Credentials(options.healthUser(), healthPassword));
        replicas.forEach(replica -> builder.addReplica(endpoint(replica, EndpointRole.REPLICA)));
        return builder.build();
    }

    /**
     * As {@link #settings()}, every endpoint logging in as the health user ({@link #healthUser()},
     * a member of {@code pg_monitor}, no table access): what operators' diagnostics run with, as they
     * read other sessions' statements and the WAL receiver's state, which the application user
     * may not see.
     */
    public ReactiveDbSettings monitoringSettings() {
        ReactiveDbSettings app = settings();
        ReactiveDbSettings.Builder builder = app.toBuilder().primary(app.primary().toBuilder()
                .username(options.healthUser()).password(healthPassword).build());
        return builder.replicas(app.replicas().stream()
                .map(replica -> replica.toBuilder().username(options.healthUser()).password(healthPassword).build())
                .toList()).build();
    }

    /** As {@link #settings()}, for the migration user (DDL) and without replicas: what migrations run with. */
    public ReactiveDbSettings migrationSettings() {
        return ReactiveDbSettings.builder().primary(endpoint(primary, EndpointRole.PRIMARY).toBuilder()
                .username(options.migrationUser()).password(migrationPassword).build()).build();
    }

    /**
     * The endpoint of {@code node} for the application user with the given role. The name is
     * {@value #PRIMARY_ENDPOINT} for {@code node-0} and {@code replica-n} for {@code node-n}, whatever
     * the role (so a promoted replica keeps its name).
     */
    public EndpointSettings endpoint(DevNode node, EndpointRole role) {
        requireMember(node);
        return EndpointSettings.builder().name(endpointName(node)).role(role).host(tls.isPresent() ? DevTls.SERVER_HOST_NAME : HOST)
                .port(node.port()).database(options.database()).username(options.appUser()).password(appPassword)
                .weight(EndpointSettings.DEFAULT_WEIGHT).tls(tls.map(DevTls::verifyFull).orElse(TlsSettings.disabled())).build();
    }

    /**
     * The endpoint of {@code node} for the superuser {@value #SUPERUSER} in database
     * {@link #database()}; the role is PRIMARY for {@code node-0} and promoted replicas, REPLICA
     * otherwise, and the name as in {@link #endpoint(DevNode, EndpointRole)}.
     */
    public EndpointSettings superuserEndpoint(DevNode node) {
        requireMember(node);
        EndpointRole role = node.equals(primary) || promoted.contains(node) ? EndpointRole.PRIMARY : EndpointRole.REPLICA;
        return EndpointSettings.builder().name(endpointName(node)).role(role).host(tls.isPresent() ? DevTls.SERVER_HOST_NAME : HOST)
                .port(node.port()).database(options.database()).username(SUPERUSER).password(superuserPassword)
                .tls(tls.map(DevTls::verifyFull).orElse(TlsSettings.disabled())).build();
    }

    /** {@code postgresql://app@127.0.0.1:<port>/app}, without password: for logs. */
    public String databaseUrl(DevNode node) {
        requireMember(node);
        return "postgresql://" + options.appUser() + "@" + HOST + ":" + node.port() + "/" + options.database();
    }

    /** {@code pg_ctl stop -m fast}: a clean shutdown. Blocks until the server is down. */
    public void stop(DevNode node) {
        requireOpen(node);
        LOG.info("Stopping {} (fast)", node);
        control.stop(node.dataDir(), "fast", options.startTimeout(), node.logFile());
    }

    /** {@code pg_ctl start}: starts a stopped node on its port. Blocks until it accepts connections. */
    public void start(DevNode node) {
        requireOpen(node);
        LOG.info("Starting {}", node);
        control.start(node.dataDir(), node.logFile(), options.startTimeout());
    }

    /** {@code pg_ctl stop -m immediate}: like a crash; the next start runs crash recovery. Blocks. */
    public void kill(DevNode node) {
        requireOpen(node);
        LOG.info("Killing {} (immediate stop)", node);
        control.stop(node.dataDir(), "immediate", options.startTimeout(), node.logFile());
    }

    /**
     * Stops ({@code SIGSTOP}) the node's postmaster and every backend and auxiliary process: the
     * server hangs with its sockets open, as one that stopped answering would (a machine frozen by
     * its hypervisor, a swap storm). Connections and logins to it neither fail nor complete until
     * {@link #resume(DevNode)}; closing the cluster resumes it first. Blocks briefly.
     */
    public void pause(DevNode node) {
        requireOpen(node);
        LOG.info("Pausing {} (SIGSTOP)", node);
        control.pause(node.dataDir());
    }

    /** Continues ({@code SIGCONT}) a node stopped by {@link #pause(DevNode)}. Blocks briefly. */
    public void resume(DevNode node) {
        requireOpen(node);
        LOG.info("Resuming {} (SIGCONT)", node);
        control.resume(node.dataDir());
    }

    /** {@code pg_ctl restart -m fast}. Blocks until the server accepts connections again. */
    public void restart(DevNode node) {
        requireOpen(node);
        LOG.info("Restarting {}", node);
        control.restart(node.dataDir(), node.logFile(), options.startTimeout());
    }

    /**
     * {@code pg_ctl promote}: turns a replica into a primary and waits until it is out of recovery.
     * The node keeps its place in {@link #replicas()}, but {@link #awaitReplicasStreaming(Duration)}
     * no longer waits for it.
     */
    public void promote(DevNode node) {
        requireOpen(node);
        LOG.info("Promoting {}", node);
        control.promote(node.dataDir(), node.logFile(), options.startTimeout());
        promoted.add(node);
    }

    /** {@code select pg_wal_replay_pause()} on a replica: it keeps receiving WAL but stops applying it. */
    public void pauseReplay(DevNode node) {
        requireOpen(node);
        psql(node, MAINTENANCE_DATABASE, "select pg_wal_replay_pause()");
    }

    /** {@code select pg_wal_replay_resume()} on a replica. */
    public void resumeReplay(DevNode node) {
        requireOpen(node);
        psql(node, MAINTENANCE_DATABASE, "select pg_wal_replay_resume()");
    }

    /** {@code pg_ctl status}: whether a server runs from the node's data directory. Blocks at most 15 s. */
    public boolean isRunning(DevNode node) {
        requireMember(node);
        return control.isRunning(node.dataDir());
    }

    /**
     * Runs {@code sql} with {@code psql -X -A -t -v ON_ERROR_STOP=1} as the superuser in
     * {@code database} on {@code node} and returns its trimmed output: one row per line, columns
     * separated by {@code |}. The password is passed in the environment, never on the command line.
     *
     * @throws DevServicesException with psql's error output when it exits non-zero
     */
    public String psql(DevNode node, String database, String sql) {
        requireOpen(node);
        return control.psql(node.port(), database, sql, superuserPassword, options.startTimeout());
    }

    /**
     * Waits until every replica that has not been {@linkplain #promote(DevNode) promoted} shows as
     * {@code streaming} in {@code pg_stat_replication} on the primary.
     *
     * @throws DevServicesException after {@code timeout}, naming the replicas not streaming and
     *     quoting the end of their server logs
     */
    public void awaitReplicasStreaming(Duration timeout) {
        java.util.Objects.requireNonNull(timeout, "timeout");
        requireOpen(primary);
        List<DevNode> expected = replicas.stream().filter(r -> !promoted.contains(r)).collect(Collectors.toList());
        if (expected.isEmpty()) {
            return;
        }
        Deadline deadline = Deadline.in(timeout);
        String lastProblem = "";
        while (true) {
            Duration probeTimeout = deadline.remaining().compareTo(PROBE_TIMEOUT) < 0 ? deadline.remaining() : PROBE_TIMEOUT;
            List<String> streaming = List.of();
            try {
                ProcessRunner.Result result = control.attemptPsql(primary.port(), MAINTENANCE_DATABASE, STREAMING_QUERY,
                        superuserPassword, probeTimeout);
                if (result.succeeded()) {
                    streaming = result.stdout().strip().lines().map(String::strip).collect(Collectors.toList());
                } else {
                    lastProblem = result.outputTail();
                }
            } catch (DevServicesException e) {
                lastProblem = e.getMessage();
            }
            List<String> names = streaming;
            List<DevNode> missing = expected.stream().filter(r -> !names.contains(r.name())).collect(Collectors.toList());
            if (missing.isEmpty()) {
                return;
            }
            if (deadline.expired()) {
                StringBuilder message = new StringBuilder("timed out after ").append(Texts.seconds(timeout))
                        .append(" waiting for replicas to stream from the primary ").append(primary)
                        .append("; not streaming: ").append(missing);
                if (!lastProblem.isEmpty()) {
                    message.append("\nlast probe of the primary failed:\n").append(lastProblem);
                }
                for (DevNode node : missing) {
                    message.append("\nserver log ").append(node.logFile()).append(":\n")
                            .append(Texts.tailOfFile(node.logFile(), Texts.TAIL_LINES));
                }
                throw new DevServicesException(message.toString());
            }
            sleep(POLL_INTERVAL, "replicas to stream");
        }
    }

    /**
     * Stops every node ({@code pg_ctl stop -m fast}, falling back to {@code -m immediate}) and
     * deletes the cluster folder. Idempotent. Blocks, typically for well under a second per node.
     *
     * @throws DevServicesException when the folder cannot be deleted
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long startNanos = System.nanoTime();
        removeHook(shutdownHook);
        destroy(directory, control);
        LOG.info("Stopped dev cluster and deleted {} in {}", directory, Texts.seconds(startNanos));
    }

    @Override
    public String toString() {
        return "DevCluster[directory=" + directory + ", primary=" + primary + ", replicas=" + replicas + "]";
    }

    private static DevNode startPrimary(DevClusterOptions options, PgControl control, Path directory,
                                        Secret superuserPassword, String rolesScript, Optional<DevTls> tls,
                                        Deadline deadline) {
        Path dataDir = directory.resolve(DevNode.nameOf(0));
        Path logFile = directory.resolve(DevNode.nameOf(0) + ".log");
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
        appendLines(dataDir.resolve("postgresql.conf"), primaryConf(options));
        writeLines(dataDir.resolve("pg_hba.conf"), DevRoles.hba(tls.isPresent()));
        tls.ifPresent(material -> {
            material.installOn(dataDir, control.runner());
            appendLines(dataDir.resolve("postgresql.conf"), DevTls.serverConf());
        });
        int port = startOnFreePort(control, dataDir, logFile, deadline);
        DevNode primary = new DevNode(0, HOST, port, dataDir, logFile);

        control.psqlScript(port, MAINTENANCE_DATABASE, rolesScript, superuserPassword, deadline.remaining());
        control.psqlScript(port, options.database(), DevRoles.databaseScript(options), superuserPassword, deadline.remaining());
        control.psql(port, options.database(), "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", superuserPassword,
                deadline.remaining());
        return primary;
    }

    private static DevNode startReplica(int index, DevNode primary, PgControl control, Path directory,
                                        Deadline deadline) {
        String name = DevNode.nameOf(index);
        Path dataDir = directory.resolve(name);
        Path logFile = directory.resolve(name + ".log");
        control.basebackup(primary.port(), dataDir, "replica_" + index, deadline.remaining());
        appendLines(dataDir.resolve("postgresql.conf"), List.of("cluster_name = '" + name + "'"));
        int port = startOnFreePort(control, dataDir, logFile, deadline);
        return new DevNode(index, HOST, port, dataDir, logFile);
    }

    private static List<String> primaryConf(DevClusterOptions options) {
        List<String> lines = new ArrayList<>(List.of(
                "",
                "# --- reactive-db dev services ---",
                "listen_addresses = '" + HOST + "'",
                "unix_socket_directories = ''",
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
    private static int startOnFreePort(PgControl control, Path dataDir, Path logFile, Deadline deadline) {
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

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new DevServicesException("could not find a free port on " + HOST + ": " + e, e);
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

    static String generatePassword() {
        StringBuilder password = new StringBuilder(PASSWORD_LENGTH);
        for (int i = 0; i < PASSWORD_LENGTH; i++) {
            password.append(PASSWORD_ALPHABET.charAt(RANDOM.nextInt(PASSWORD_ALPHABET.length())));
        }
        return password.toString();
    }

    static String endpointName(DevNode node) {
        return node.index() == 0 ? PRIMARY_ENDPOINT : REPLICA_ENDPOINT_PREFIX + node.index();
    }

    private static void destroy(Path directory, PgControl control) {
        ClusterFolders.stopNodes(directory, control, "fast");
        ClusterFolders.deleteTree(directory);
    }

    private static void destroyQuietly(Path directory, PgControl control) {
        try {
            destroy(directory, control);
            LOG.info("Shutdown hook stopped the dev cluster and deleted {}", directory);
        } catch (RuntimeException e) {
            LOG.warn("Shutdown hook could not clean up the dev cluster in {}: {}", directory, e.toString());
        }
    }

    private static void removeHook(@Nullable Thread hook) {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is shutting down; the hook runs or has run, and cleanup is idempotent.
        }
    }

    /** A poll interval of the blocking lifecycle methods (see the class description); never on a request path. */
    private static void sleep(Duration duration, String waitingFor) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DevServicesException("interrupted while waiting for " + waitingFor, e);
        }
    }

    private void requireMember(DevNode node) {
        java.util.Objects.requireNonNull(node, "node");
        if (!nodes.contains(node)) {
            throw new IllegalArgumentException(node + " is not a node of " + this);
        }
    }

    private void requireOpen(DevNode node) {
        requireMember(node);
        if (closed.get()) {
            throw new IllegalStateException("the dev cluster in " + directory + " is closed");
        }
    }
}
