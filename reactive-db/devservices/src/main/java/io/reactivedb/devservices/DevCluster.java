package io.reactivedb.devservices;

import io.reactivedb.tools.PostgresBinaries;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.Pooler;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.Secret;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
public final class DevCluster implements DevServicesCluster {

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
    /** The backup role: reads every table ({@code pg_read_all_data}) and may create databases (verification). */
    public static final String BACKUP_USER = "app_backup";
    /** Length of generated passwords: {@value}. */
    public static final int PASSWORD_LENGTH = 24;

    /** The database the superuser connects to for cluster-wide statements. */
    static final String MAINTENANCE_DATABASE = "postgres";

    private static final Logger LOG = LoggerFactory.getLogger(DevCluster.class);

    private final DevClusterOptions options;
    private final PgControl control;
    private final String serverVersion;
    private final Path directory;
    private final DevNode primary;
    private final List<DevNode> replicas;
    private final List<DevNode> nodes;
    private final DevPasswords passwords;
    private final Optional<DevTls> tls;
    private final ClusterSettings clusterSettings;
    private final NodeOperations operations;
    private final ShutdownHook shutdownHook;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger pgBouncerSets = new AtomicInteger();
    /** The PgBouncer the options ask for, started with the cluster ({@link LocalClusterStart}). */
    volatile @Nullable DevPgBouncer pgBouncer;

    DevCluster(DevClusterOptions options, PgControl control, String serverVersion, Path directory,
                       DevNode primary, List<DevNode> replicas, DevPasswords passwords, Optional<DevTls> tls,
                       ShutdownHook shutdownHook) {
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
        this.passwords = passwords;
        this.tls = tls;
        this.clusterSettings = new ClusterSettings(options, primary, this.replicas, passwords, tls);
        this.operations = new NodeOperations(control, passwords.superuser(), options.startTimeout());
        this.shutdownHook = shutdownHook;
    }

    /**
     * Removes stale cluster folders, then creates, starts and wires a new cluster and waits until
     * every replica streams from the primary. Blocks for the whole start (a few seconds; at most
     * {@link DevClusterOptions#startTimeout()}, default 60 s, plus the bounded stop of stale servers).
     * On failure everything started so far is stopped and deleted.
     *
     * <p>This always runs the local binaries: {@link DevClusterOptions#provider()} {@code auto} and
     * {@code local} start here, and {@code containers} is refused (use
     * {@link DevServicesCluster#start(DevClusterOptions)}, which chooses).
     *
     * @throws DevServicesException when binaries are missing, a command fails or the start times out,
     *     or the options ask for containers
     */
    public static DevCluster start(DevClusterOptions options) {
        return LocalClusterStart.start(options);
    }

    /** Always {@link DevClusterProvider#LOCAL}. */
    @Override
    public DevClusterProvider provider() { return DevClusterProvider.LOCAL; }

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
    public Secret appPassword() { return passwords.app(); }

    /** The migration user (owner of the schema); default {@value DevClusterOptions#DEFAULT_MIGRATION_USER}. */
    public String migrationUser() { return options.migrationUser(); }

    /** The migration user's generated password. */
    public Secret migrationPassword() { return passwords.migration(); }

    /** The health user (probe queries, {@code pg_monitor}); default {@value DevClusterOptions#DEFAULT_HEALTH_USER}. */
    public String healthUser() { return options.healthUser(); }

    /** The health user's generated password. */
    public Secret healthPassword() { return passwords.health(); }

    /** The backup user {@value #BACKUP_USER} ({@code pg_read_all_data}, {@code CREATEDB}): what backups and their verification log in as. */
    public String backupUser() { return BACKUP_USER; }

    /** The backup user's generated password. */
    public Secret backupPassword() { return passwords.backup(); }

    /** The backup user's login on the primary, for {@code BackupService} (pg_dump, scratch restores). */
    public EndpointSettings backupEndpoint() {
        return clusterSettings.endpoint(primary, EndpointRole.PRIMARY).toBuilder().username(BACKUP_USER).password(passwords.backup()).build();
    }

    /**
     * The cluster's logins as environment variables, for the command lines and a service outside this
     * JVM: {@code DATABASE_URL} and {@code DB_PASSWORD} (the application role), {@code DB_READ_REPLICA_URLS},
     * {@code DB_HEALTH_USER}/{@code DB_HEALTH_PASSWORD}, {@code DB_MIGRATION_USER}/{@code DB_MIGRATION_PASSWORD},
     * and the backup role's {@code BACKUP_DATABASE_URL}/{@code BACKUP_DB_PASSWORD}. Holds passwords:
     * write it to owner-only files only ({@link DevClusterMain#writeEnvFile}).
     */
    public java.util.Map<String, String> loginEnvironment() {
        return LoginEnvironment.of(this, passwords);
    }

    /** The TLS material of a cluster started with {@link DevClusterOptions#tls()}; empty otherwise. */
    public Optional<DevTls> tls() { return tls; }

    /** The generated password of the superuser {@value #SUPERUSER}. */
    public Secret superuserPassword() { return passwords.superuser(); }

    /** The first line of {@code postgres --version}, for example {@code postgres (PostgreSQL) 15.18}. */
    public String serverVersion() { return serverVersion; }

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
        return clusterSettings.application();
    }

    /**
     * As {@link #settings()}, every endpoint logging in as the health user ({@link #healthUser()},
     * a member of {@code pg_monitor}, no table access): what operators' diagnostics run with, as they
     * read other sessions' statements and the WAL receiver's state, which the application user
     * may not see.
     */
    public ReactiveDbSettings monitoringSettings() {
        return clusterSettings.monitoring();
    }

    /** As {@link #settings()}, for the migration user (DDL) and without replicas: what migrations run with. */
    public ReactiveDbSettings migrationSettings() {
        return clusterSettings.migration();
    }

    /**
     * The endpoint of {@code node} for the application user with the given role. The name is
     * {@value #PRIMARY_ENDPOINT} for {@code node-0} and {@code replica-n} for {@code node-n}, whatever
     * the role (so a promoted replica keeps its name).
     */
    @Override
    public EndpointSettings endpoint(ClusterNode node, EndpointRole role) {
        return clusterSettings.endpoint(requireMember(node), role);
    }

    /**
     * The endpoint of {@code node} for the superuser {@value #SUPERUSER} in database
     * {@link #database()}; the role is PRIMARY for {@code node-0} and promoted replicas, REPLICA
     * otherwise, and the name as in {@link #endpoint(ClusterNode, EndpointRole)}.
     */
    @Override
    public EndpointSettings superuserEndpoint(ClusterNode node) {
        DevNode member = requireMember(node);
        boolean writable = member.equals(primary) || operations.isPromoted(member);
        return clusterSettings.superuserEndpoint(member, writable ? EndpointRole.PRIMARY : EndpointRole.REPLICA);
    }

    /** {@code postgresql://app@127.0.0.1:<port>/app}, without password: for logs. */
    public String databaseUrl(DevNode node) {
        return LoginEnvironment.url(options.appUser(), requireMember(node), options.database());
    }

    /** {@code pg_ctl stop -m fast}: a clean shutdown. Blocks until the server is down. */
    @Override
    public void stop(ClusterNode node) {
        operations.stop(requireOpen(node));
    }

    /** {@code pg_ctl start}: starts a stopped node on its port. Blocks until it accepts connections. */
    @Override
    public void start(ClusterNode node) {
        operations.start(requireOpen(node));
    }

    /** {@code pg_ctl stop -m immediate}: like a crash; the next start runs crash recovery. Blocks. */
    @Override
    public void kill(ClusterNode node) {
        operations.kill(requireOpen(node));
    }

    /**
     * Stops ({@code SIGSTOP}) the node's postmaster and every backend and auxiliary process: the
     * server hangs with its sockets open, as one that stopped answering would (a machine frozen by
     * its hypervisor, a swap storm). Connections and logins to it neither fail nor complete until
     * {@link #resume(ClusterNode)}; closing the cluster resumes it first. Blocks briefly.
     */
    @Override
    public void pause(ClusterNode node) {
        operations.pause(requireOpen(node));
    }

    /** Continues ({@code SIGCONT}) a node stopped by {@link #pause(ClusterNode)}. Blocks briefly. */
    @Override
    public void resume(ClusterNode node) {
        operations.resume(requireOpen(node));
    }

    /** {@code pg_ctl restart -m fast}. Blocks until the server accepts connections again. */
    public void restart(DevNode node) {
        requireOpen(node);
        operations.restart(node);
    }

    /**
     * {@code pg_ctl promote}: turns a replica into a primary and waits until it is out of recovery.
     * The node keeps its place in {@link #replicas()}, but {@link #awaitReplicasStreaming(Duration)}
     * no longer waits for it.
     */
    @Override
    public void promote(ClusterNode node) {
        operations.promote(requireOpen(node));
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
        return operations.isRunning(node);
    }

    /**
     * Runs {@code sql} with {@code psql -X -A -t -v ON_ERROR_STOP=1} as the superuser in
     * {@code database} on {@code node} and returns its trimmed output: one row per line, columns
     * separated by {@code |}. The password is passed in the environment, never on the command line.
     *
     * @throws DevServicesException with psql's error output when it exits non-zero
     */
    @Override
    public String psql(ClusterNode node, String database, String sql) {
        return operations.psql(requireOpen(node), database, sql);
    }

    /**
     * Waits until every replica that has not been {@linkplain #promote(ClusterNode) promoted} shows as
     * {@code streaming} in {@code pg_stat_replication} on the primary.
     *
     * @throws DevServicesException after {@code timeout}, naming the replicas not streaming and
     *     quoting the end of their server logs
     */
    public void awaitReplicasStreaming(Duration timeout) {
        java.util.Objects.requireNonNull(timeout, "timeout");
        requireOpen(primary);
        List<DevNode> expected = replicas.stream().filter(r -> !operations.isPromoted(r)).collect(Collectors.toList());
        new StreamingWait(control, primary, passwords.superuser()).await(expected, timeout);
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
        shutdownHook.remove();
        ClusterFolders.destroy(directory, control);
        LOG.info("Stopped dev cluster and deleted {} in {}", directory, Texts.seconds(startNanos));
    }

    @Override
    public String toString() {
        return "DevCluster[directory=" + directory + ", primary=" + primary + ", replicas=" + replicas + "]";
    }

    private DevNode requireMember(ClusterNode node) {
        java.util.Objects.requireNonNull(node, "node");
        if (!(node instanceof DevNode member) || !nodes.contains(member)) {
            throw new IllegalArgumentException(node + " is not a node of " + this);
        }
        return member;
    }

    private DevNode requireOpen(ClusterNode node) {
        DevNode member = requireMember(node);
        if (closed.get()) {
            throw new IllegalStateException("the dev cluster in " + directory + " is closed");
        }
        return member;
    }
}
