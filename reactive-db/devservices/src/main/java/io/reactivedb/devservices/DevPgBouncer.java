package io.reactivedb.devservices;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.Pooler;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PgBouncer from the system package ({@code apt-get install pgbouncer}) in front of every node of a
 * {@link DevCluster}: one process per node, each on a free loopback port, in the given pool mode.
 * Started by {@link DevClusterOptions.Builder#pgbouncer(Pooler)} with the cluster, or by
 * {@link DevCluster#startPgBouncer(Pooler)} in front of a running one; stopped by {@link #close()}
 * and, in any case, with the cluster.
 *
 * <p>Configuration, authentication file, logs and pid files live in the cluster folder
 * ({@code pgbouncer-<n>-node-<i>.ini}, {@code .log}, {@code .pid}; {@code pgbouncer-<n>-users.txt},
 * owner-only). Clients authenticate with SCRAM against the servers' own SCRAM secrets, copied from
 * {@code pg_authid} (never a password in clear), and PgBouncer logs in to the server with the
 * client's SCRAM keys. The settings are the ones the README's "Behind PgBouncer" gives:
 * {@code ignore_startup_parameters = extra_float_digits}, a server pool of
 * {@value #SERVER_POOL_SIZE} per database and user (fewer than a router's default pool, so clients
 * really share server sessions), {@code server_login_retry = 1}. As root it runs as the
 * {@code postgres} OS user, like the servers.
 *
 * <p>Every method blocks (bounded); development and tests only.
 */
public final class DevPgBouncer implements AutoCloseable {

    /** Server connections per database and user pair in each PgBouncer: {@value}. */
    public static final int SERVER_POOL_SIZE = 8;
    /** Where the binary is looked for after {@code PATH}. */
    private static final List<Path> LOCATIONS = List.of(Path.of("/usr/sbin/pgbouncer"), Path.of("/usr/bin/pgbouncer"));
    static final String FILE_PREFIX = "pgbouncer-";
    private static final Logger LOG = LoggerFactory.getLogger(DevPgBouncer.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final int PORT_ATTEMPTS = 5;

    private final DevCluster cluster;
    private final Pooler mode;
    private final Map<DevNode, Integer> ports;
    private final List<Path> pidFiles;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DevPgBouncer(DevCluster cluster, Pooler mode, Map<DevNode, Integer> ports, List<Path> pidFiles) {
        this.cluster = cluster;
        this.mode = mode;
        this.ports = Map.copyOf(ports);
        this.pidFiles = List.copyOf(pidFiles);
    }

    /**
     * The {@code pgbouncer} executable: on {@code PATH}, else {@code /usr/sbin/pgbouncer} or
     * {@code /usr/bin/pgbouncer}; empty when it is not installed ({@code bin/ensure-pgbouncer}
     * installs Debian's package).
     */
    public static Optional<Path> binary() {
        String path = System.getenv("PATH");
        Stream<Path> onPath = path == null ? Stream.empty()
                : Stream.of(path.split(java.io.File.pathSeparator)).filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, "pgbouncer"));
        return Stream.concat(onPath, LOCATIONS.stream()).filter(Files::isExecutable).findFirst();
    }

    /** The pool mode: {@link Pooler#PGBOUNCER_SESSION} or {@link Pooler#PGBOUNCER_TRANSACTION}. */
    public Pooler mode() {
        return mode;
    }

    /** The loopback port of the PgBouncer in front of {@code node}. */
    public int port(DevNode node) {
        Integer port = ports.get(node);
        if (port == null) {
            throw new IllegalArgumentException(node + " is not a node of " + cluster);
        }
        return port;
    }

    /**
     * {@link DevCluster#settings()} through the poolers: every endpoint on its node's PgBouncer,
     * health probes too, and {@link SessionSettings#pooler()} set to {@link #mode()} (so in
     * transaction mode statements are unnamed).
     */
    public ReactiveDbSettings settings() {
        ReactiveDbSettings direct = cluster.settings();
        ReactiveDbSettings.Builder builder = direct.toBuilder()
                .session(direct.session().toBuilder().pooler(mode).build())
                .primary(through(direct.primary(), cluster.primary()));
        List<EndpointSettings> replicas = new ArrayList<>();
        for (int i = 0; i < direct.replicas().size(); i++) {
            replicas.add(through(direct.replicas().get(i), cluster.replicas().get(i)));
        }
        return builder.replicas(replicas).build();
    }

    private EndpointSettings through(EndpointSettings endpoint, DevNode node) {
        return endpoint.toBuilder().port(port(node)).build();
    }

    /** Stops every PgBouncer of this set (SIGTERM, then SIGKILL after 10 s). Idempotent; the cluster keeps running. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            pidFiles.forEach(DevPgBouncer::stop);
            LOG.info("Stopped PgBouncer ({}) in front of {}", mode.settingValue(), cluster.directory());
        }
    }

    @Override
    public String toString() {
        return "DevPgBouncer[" + mode.settingValue() + ", ports=" + ports.values() + "]";
    }

    // ---- start ----

    /** Starts one PgBouncer per node of {@code cluster}; on failure stops what it started. */
    static DevPgBouncer start(DevCluster cluster, ProcessRunner runner, int set, Pooler mode, Duration timeout) {
        Objects.requireNonNull(mode, "mode");
        if (mode == Pooler.NONE) {
            throw new IllegalArgumentException("a PgBouncer pool mode is pgbouncer-session or pgbouncer-transaction, not none");
        }
        if (cluster.tls().isPresent()) {
            throw new DevServicesException("dev services start PgBouncer in front of plain (non-TLS) clusters only");
        }
        Path binary = binary().orElseThrow(() -> new DevServicesException("PgBouncer is not installed: run bin/ensure-pgbouncer"
                + " (apt-get install pgbouncer) or put pgbouncer on the PATH"));
        Deadline deadline = Deadline.in(timeout);
        Path directory = cluster.directory();
        Path users = directory.resolve(FILE_PREFIX + set + "-users.txt");
        writeOwnerOnly(users, authFile(cluster), runner);
        Map<DevNode, Integer> ports = new LinkedHashMap<>();
        List<Path> pidFiles = new ArrayList<>();
        try {
            for (DevNode node : cluster.nodes()) {
                String stem = FILE_PREFIX + set + "-" + node.name();
                Path pidFile = directory.resolve(stem + ".pid");
                pidFiles.add(pidFile);
                ports.put(node, startOne(binary, runner, directory, stem, node, users, mode, pidFile, deadline));
            }
        } catch (RuntimeException | Error e) {
            pidFiles.forEach(DevPgBouncer::stop);
            throw e;
        }
        DevPgBouncer started = new DevPgBouncer(cluster, mode, ports, pidFiles);
        LOG.info("Started PgBouncer ({}) in front of {}: ports {}", mode.settingValue(), cluster.directory(), ports.values());
        return started;
    }

    /** {@code "user" "SCRAM-SHA-256$…"} lines for the cluster's login roles, from {@code pg_authid}. */
    private static List<String> authFile(DevCluster cluster) {
        List<String> roles = List.of(cluster.appUser(), cluster.healthUser(), cluster.migrationUser());
        String sql = "SELECT rolname || ' ' || rolpassword FROM pg_authid WHERE rolname IN ('" + String.join("', '", roles)
                + "') AND rolpassword IS NOT NULL ORDER BY 1";
        List<String> lines = new ArrayList<>();
        for (String line : cluster.psql(cluster.primary(), "postgres", sql).lines().toList()) {
            String[] parts = line.strip().split(" ", 2);
            if (parts.length == 2 && parts[1].startsWith("SCRAM-SHA-256$")) {
                lines.add("\"" + parts[0] + "\" \"" + parts[1] + "\"");
            }
        }
        if (lines.size() != roles.size()) {
            throw new DevServicesException("expected SCRAM secrets of " + roles + " in pg_authid but found " + lines.size());
        }
        return lines;
    }

    private static int startOne(Path binary, ProcessRunner runner, Path directory, String stem, DevNode node, Path users, Pooler mode,
                                Path pidFile, Deadline deadline) {
        Path ini = directory.resolve(stem + ".ini");
        Path log = directory.resolve(stem + ".log");
        attempts:
        for (int attempt = 1; ; attempt++) {
            int port = NodeStarter.freePort();
            deleteIfExists(log);
            deleteIfExists(pidFile);
            writeOwnerOnly(ini, config(node, port, users, mode, log, pidFile), runner);
            runner.run(ProcessRunner.Invocation.of(deadline.remaining(), List.of(binary.toString(), "-d", ini.toString()))
                    .asServerUser(directory));
            // -d: the process above forked and exited; the daemon writes its pid file and listens.
            while (!accepts(port)) {
                boolean gone = pid(pidFile).map(pid -> !ProcessHandle.of(pid).map(DevPgBouncer::running).orElse(false)).orElse(false);
                String tail = Texts.tailOfFile(log, Texts.TAIL_LINES);
                boolean portTaken = tail.contains("Address already in use");
                if (gone || portTaken || deadline.expired()) {
                    stop(pidFile);
                    if (portTaken && attempt < PORT_ATTEMPTS && !deadline.expired()) {
                        LOG.info("Port {} was taken before PgBouncer could bind it; trying another port", port);
                        continue attempts;
                    }
                    throw new DevServicesException("PgBouncer for " + node + " did not accept connections on port " + port
                            + "; its log " + log + ":\n" + tail);
                }
                sleep(POLL);
            }
            return port;
        }
    }

    private static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new DevServicesException("could not delete " + file + ": " + e, e);
        }
    }

    private static List<String> config(DevNode node, int port, Path users, Pooler mode, Path log, Path pidFile) {
        return List.of(
                "; reactive-db dev services: PgBouncer in front of " + node.name(),
                "[databases]",
                "* = host=" + node.host() + " port=" + node.port(),
                "",
                "[pgbouncer]",
                "listen_addr = " + DevCluster.HOST,
                "listen_port = " + port,
                "unix_socket_dir =",
                "auth_type = scram-sha-256",
                "auth_file = " + users,
                "pool_mode = " + (mode == Pooler.PGBOUNCER_TRANSACTION ? "transaction" : "session"),
                // r2dbc-postgresql always sends it; PgBouncer refuses what it neither tracks nor ignores.
                "ignore_startup_parameters = extra_float_digits",
                "default_pool_size = " + SERVER_POOL_SIZE,
                "max_client_conn = 1000",
                "server_tls_sslmode = disable",
                "server_login_retry = 1",
                "log_connections = 0",
                "log_disconnections = 0",
                "logfile = " + log,
                "pidfile = " + pidFile);
    }

    // ---- stop ----

    /**
     * Stops every PgBouncer whose pid file is in {@code cluster} (a crashed run's too); a pid now
     * used by another program is left alone. Never throws.
     */
    static void stopAll(Path cluster) {
        try (Stream<Path> files = Files.list(cluster)) {
            files.filter(f -> f.getFileName().toString().startsWith(FILE_PREFIX) && f.getFileName().toString().endsWith(".pid"))
                    .forEach(DevPgBouncer::stop);
        } catch (IOException | RuntimeException e) {
            LOG.debug("Could not list PgBouncer pid files in {}: {}", cluster, e.toString());
        }
    }

    private static void stop(Path pidFile) {
        Optional<ProcessHandle> process = pid(pidFile).flatMap(ProcessHandle::of)
                .filter(p -> p.info().command().map(command -> command.endsWith("pgbouncer")).orElse(false));
        if (process.isEmpty()) {
            return;
        }
        ProcessHandle handle = process.get();
        handle.destroy();
        Deadline deadline = Deadline.in(STOP_TIMEOUT);
        while (running(handle) && !deadline.expired()) {
            sleep(POLL);
        }
        if (running(handle)) {
            LOG.warn("PgBouncer {} did not stop on SIGTERM within {}; killing it", handle.pid(), Texts.seconds(STOP_TIMEOUT));
            handle.destroyForcibly();
        }
    }

    /**
     * Alive and not a zombie: the daemon's parent is init, which may reap it only seconds after it
     * exited (ProcessHandle counts a zombie as alive).
     */
    private static boolean running(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"), StandardCharsets.UTF_8);
            int end = stat.lastIndexOf(')');
            char state = end >= 0 && end + 2 < stat.length() ? stat.charAt(end + 2) : 'R';
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return handle.isAlive();
        }
    }

    private static Optional<Long> pid(Path pidFile) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    // ---- helpers ----

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(DevCluster.HOST, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void writeOwnerOnly(Path file, List<String> lines, ProcessRunner runner) {
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(file, lines, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            runner.chownToServerUser(file);
        } catch (IOException e) {
            throw new DevServicesException("could not write " + file + ": " + e, e);
        }
    }

    /** A poll of the blocking lifecycle methods; never on a request path. */
    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DevServicesException("interrupted while waiting for PgBouncer", e);
        }
    }
}
