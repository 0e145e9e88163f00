package io.reactivedb.devservices;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.Secret;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The dev cluster in containers: one container per node from {@link DevClusterOptions#containerImage()}
 * (the official {@code postgres} image), on a Testcontainers {@link Network} of their own, each
 * reachable from the test JVM on the port Docker maps to its 5432.
 *
 * <p>The containers run {@code sleep infinity}, not the image's server: the servers are created and
 * driven with {@code initdb}, {@code pg_ctl}, {@code pg_basebackup} and {@code psql} run inside them
 * as the {@code postgres} OS user, exactly as the local cluster runs them, so stopping, crashing or
 * promoting a server leaves its container and its mapped port in place. The primary is configured
 * as the local one ({@code wal_level=replica}, 10 WAL senders, {@code pg_stat_statements}, the same
 * roles and grants); replicas are {@code pg_basebackup -R} copies streaming from {@code node-0}
 * over the network, {@code replicator} trusted from that network ({@code samenet}; DEV ONLY, as
 * the local cluster trusts it from loopback).
 *
 * <p>Not supported here: TLS and PgBouncer (refused by the options and the selection);
 * {@link #pause(ClusterNode)} is {@code docker pause} (the cgroup freezer) rather than
 * {@code SIGSTOP} of the server's processes; there is no cluster folder, server log file on the
 * host or JVM shutdown hook: containers left by a JVM that died are removed by Testcontainers'
 * reaper (Ryuk). Loaded only after {@link ContainerProvider} found Testcontainers on the classpath.
 */
final class ContainerCluster implements DevServicesCluster {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerCluster.class);

    /** The port every server listens on inside its container. */
    static final int SERVER_PORT = 5432;
    static final String OS_USER = "postgres";
    private static final String DATA_DIR = "/var/lib/postgresql/reactive-db";
    private static final String LOG_FILE = "/var/lib/postgresql/reactive-db.log";
    private static final String SOCKET_DIR = "/var/run/postgresql";
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    private static final String STREAMING_QUERY =
            "select application_name from pg_stat_replication where state = 'streaming' order by 1";

    private final DevClusterOptions options;
    private final Network network;
    private final List<GenericContainer<?>> containers;
    private final ContainerNode primary;
    private final List<ContainerNode> replicas;
    private final List<ContainerNode> nodes;
    private final DevPasswords passwords;
    private final ClusterSettings clusterSettings;
    private final String serverVersion;
    private final Set<ContainerNode> promoted = ConcurrentHashMap.newKeySet();
    private final Set<ContainerNode> paused = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ContainerCluster(DevClusterOptions options, Network network, List<GenericContainer<?>> containers,
                             DevPasswords passwords, String serverVersion) {
        this.options = options;
        this.network = network;
        this.containers = List.copyOf(containers);
        List<ContainerNode> all = new ArrayList<>();
        for (int i = 0; i < containers.size(); i++) {
            GenericContainer<?> container = containers.get(i);
            all.add(new ContainerNode(DevNode.nameOf(i), container.getHost(), container.getMappedPort(SERVER_PORT), i));
        }
        this.nodes = List.copyOf(all);
        this.primary = nodes.get(0);
        this.replicas = nodes.subList(1, nodes.size());
        this.passwords = passwords;
        this.serverVersion = serverVersion;
        this.clusterSettings = new ClusterSettings(options, primary, replicas, passwords, Optional.empty());
    }

    /** Testcontainers' own discovery of a Docker engine (environment, socket, its properties file). */
    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("Testcontainers could not look for a Docker engine", e);
            return false;
        }
    }

    /**
     * Starts one container per node, initialises the primary, copies each replica from it and
     * waits until every replica streams; bounded by {@link DevClusterOptions#startTimeout()} from
     * the first container's start (pulling the image is not counted). On failure every container
     * started so far is stopped and the network removed.
     */
    static ContainerCluster start(DevClusterOptions options) {
        Objects.requireNonNull(options, "options");
        long startNanos = System.nanoTime();
        DevPasswords passwords = DevPasswords.random();
        Network network = Network.newNetwork();
        List<GenericContainer<?>> started = new ArrayList<>();
        try {
            for (int i = 0; i <= options.replicas(); i++) {
                GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(options.containerImage()))
                        .withNetwork(network).withNetworkAliases(DevNode.nameOf(i)).withExposedPorts(SERVER_PORT)
                        .withCommand("sleep", "infinity").waitingFor(Wait.forSuccessfulCommand("true"))
                        .withStartupTimeout(options.startTimeout());
                started.add(container);
                container.start();
            }
            Deadline deadline = Deadline.in(options.startTimeout());
            ContainerExec exec = new ContainerExec(passwords);
            initPrimary(exec, started.get(0), options, passwords, deadline);
            for (int i = 1; i < started.size(); i++) {
                initReplica(exec, started.get(i), i, deadline);
            }
            String version = exec.run(started.get(0), "postgres --version", deadline.remaining(), "postgres", "--version")
                    .strip().lines().findFirst().orElse("");
            ContainerCluster cluster = new ContainerCluster(options, network, started, passwords, version);
            cluster.awaitReplicasStreaming(deadline.remaining());
            LOG.info("Started dev cluster in containers ({}, {}) in {}: {}", options.containerImage(), version,
                    Texts.seconds(startNanos), cluster.nodes);
            return cluster;
        } catch (RuntimeException | Error e) {
            stopAll(started, network, e);
            throw e;
        }
    }

    private static void initPrimary(ContainerExec exec, GenericContainer<?> container, DevClusterOptions options,
                                    DevPasswords passwords, Deadline deadline) {
        String passwordFile = "/tmp/superuser.pwfile";
        exec.write(container, passwordFile, passwords.superuser().reveal() + "\n");
        try {
            exec.run(container, "initdb", deadline.remaining(), "initdb", "-D", DATA_DIR, "-U", DevCluster.SUPERUSER,
                    "-E", "UTF8", "--locale=C", "--no-sync", "--auth-local=peer", "--auth-host=scram-sha-256",
                    "--pwfile=" + passwordFile);
        } finally {
            exec.remove(container, passwordFile);
        }
        List<String> conf = new ArrayList<>(NodeStarter.serverConf(options, "*", SOCKET_DIR));
        conf.add("port = " + SERVER_PORT);
        exec.append(container, DATA_DIR + "/postgresql.conf", String.join("\n", conf) + "\n");
        exec.write(container, DATA_DIR + "/pg_hba.conf", String.join("\n",
                "# Written by reactive-db dev services (containers). DEV ONLY: replication is trusted from the",
                "# containers' network so that pg_basebackup -R writes no password into postgresql.auto.conf.",
                "local all " + DevCluster.SUPERUSER + " peer",
                "host replication " + DevCluster.REPLICATION_USER + " samenet trust",
                "host all all all scram-sha-256", ""));
        startServer(exec, container, deadline.remaining());
        String script = "/tmp/roles.sql";
        exec.write(container, script, DevRoles.clusterScript(options, passwords));
        try {
            exec.run(container, "the roles script", deadline.remaining(), "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                    "-d", DevCluster.MAINTENANCE_DATABASE, "-f", script);
        } finally {
            exec.remove(container, script);
        }
        exec.run(container, "the database script", deadline.remaining(), "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-d", options.database(), "-c", DevRoles.databaseScript(options));
        exec.run(container, "create extension pg_stat_statements", deadline.remaining(), "psql", "-X", "-q", "-v",
                "ON_ERROR_STOP=1", "-d", options.database(), "-c", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    }

    private static void initReplica(ContainerExec exec, GenericContainer<?> container, int index, Deadline deadline) {
        exec.run(container, "pg_basebackup", deadline.remaining(), "pg_basebackup", "-h", DevNode.nameOf(0), "-p",
                Integer.toString(SERVER_PORT), "-U", DevCluster.REPLICATION_USER, "-D", DATA_DIR, "-R", "-X", "stream",
                "-C", "-S", "replica_" + index, "-c", "fast", "--no-sync", "-w");
        exec.append(container, DATA_DIR + "/postgresql.conf", "cluster_name = '" + DevNode.nameOf(index) + "'\n");
        startServer(exec, container, deadline.remaining());
    }

    private static void startServer(ContainerExec exec, GenericContainer<?> container, Duration timeout) {
        exec.run(container, "pg_ctl start", timeout, "pg_ctl", "-D", DATA_DIR, "-l", LOG_FILE, "-w", "-t",
                Long.toString(Math.max(1, timeout.toSeconds())), "start");
    }

    @Override
    public DevClusterProvider provider() { return DevClusterProvider.CONTAINERS; }

    @Override
    public ClusterNode primary() { return primary; }

    @Override
    public List<ContainerNode> replicas() { return replicas; }

    @Override
    public List<ContainerNode> nodes() { return nodes; }

    @Override
    public ReactiveDbSettings settings() { return clusterSettings.application(); }

    @Override
    public ReactiveDbSettings monitoringSettings() { return clusterSettings.monitoring(); }

    @Override
    public ReactiveDbSettings migrationSettings() { return clusterSettings.migration(); }

    @Override
    public EndpointSettings endpoint(ClusterNode node, EndpointRole role) {
        return clusterSettings.endpoint(requireMember(node), role);
    }

    @Override
    public EndpointSettings superuserEndpoint(ClusterNode node) {
        ContainerNode member = requireMember(node);
        boolean writable = member.equals(primary) || promoted.contains(member);
        return clusterSettings.superuserEndpoint(member, writable ? EndpointRole.PRIMARY : EndpointRole.REPLICA);
    }

    @Override
    public String database() { return options.database(); }

    @Override
    public String appUser() { return options.appUser(); }

    @Override
    public Secret appPassword() { return passwords.app(); }

    @Override
    public String migrationUser() { return options.migrationUser(); }

    @Override
    public Secret migrationPassword() { return passwords.migration(); }

    @Override
    public String healthUser() { return options.healthUser(); }

    @Override
    public Secret healthPassword() { return passwords.health(); }

    @Override
    public Secret superuserPassword() { return passwords.superuser(); }

    @Override
    public String serverVersion() { return serverVersion; }

    @Override
    public void stop(ClusterNode node) {
        pgCtl(requireOpen(node), "stop", "-m", "fast");
    }

    @Override
    public void start(ClusterNode node) {
        ContainerNode member = requireOpen(node);
        LOG.info("Starting {}", member);
        startServer(new ContainerExec(passwords), containers.get(member.index()), options.startTimeout());
    }

    @Override
    public void kill(ClusterNode node) {
        pgCtl(requireOpen(node), "stop", "-m", "immediate");
    }

    @Override
    public void promote(ClusterNode node) {
        ContainerNode member = requireOpen(node);
        pgCtl(member, "promote");
        promoted.add(member);
    }

    @Override
    public void pause(ClusterNode node) {
        ContainerNode member = requireOpen(node);
        LOG.info("Pausing the container of {} (docker pause)", member);
        GenericContainer<?> container = containers.get(member.index());
        container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
        paused.add(member);
    }

    @Override
    public void resume(ClusterNode node) {
        ContainerNode member = requireOpen(node);
        if (paused.remove(member)) {
            LOG.info("Resuming the container of {} (docker unpause)", member);
            GenericContainer<?> container = containers.get(member.index());
            container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
        }
    }

    @Override
    public String psql(ClusterNode node, String database, String sql) {
        ContainerNode member = requireOpen(node);
        return new ContainerExec(passwords).run(containers.get(member.index()), "psql", options.startTimeout(), "psql", "-X", "-A",
                "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql).strip();
    }

    @Override
    public void awaitReplicasStreaming(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        requireOpen(primary);
        List<String> expected = replicas.stream().filter(r -> !promoted.contains(r)).map(ContainerNode::name)
                .collect(Collectors.toList());
        Deadline deadline = Deadline.in(timeout);
        ContainerExec exec = new ContainerExec(passwords);
        String lastProblem = "";
        while (!expected.isEmpty()) {
            try {
                List<String> streaming = exec.run(containers.get(0), "the streaming query", deadline.remaining(), "psql",
                        "-X", "-A", "-t", "-q", "-d", DevCluster.MAINTENANCE_DATABASE, "-c", STREAMING_QUERY)
                        .strip().lines().map(String::strip).collect(Collectors.toList());
                if (streaming.containsAll(expected)) {
                    return;
                }
                lastProblem = "streaming: " + streaming;
            } catch (DevServicesException e) {
                lastProblem = String.valueOf(e.getMessage());
            }
            if (deadline.expired()) {
                throw new DevServicesException("timed out after " + Texts.seconds(timeout) + " waiting for replicas "
                        + expected + " to stream from the primary container; last: " + lastProblem);
            }
            sleep();
        }
    }

    /** Stops every container and removes the network. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long startNanos = System.nanoTime();
        for (ContainerNode node : paused) {
            GenericContainer<?> container = containers.get(node.index());
            container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
        }
        RuntimeException failure = new DevServicesException("could not stop every dev cluster container");
        stopAll(containers, network, failure);
        if (failure.getSuppressed().length > 0) {
            throw failure;
        }
        LOG.info("Stopped the dev cluster containers in {}", Texts.seconds(startNanos));
    }

    @Override
    public String toString() {
        return "ContainerCluster[image=" + options.containerImage() + ", nodes=" + nodes + "]";
    }

    private void pgCtl(ContainerNode node, String... action) {
        LOG.info("pg_ctl {} on {}", String.join(" ", action), node);
        Duration timeout = options.startTimeout();
        List<String> command = new ArrayList<>(List.of("pg_ctl", "-D", DATA_DIR, "-w", "-t",
                Long.toString(Math.max(1, timeout.toSeconds()))));
        command.addAll(List.of(action));
        new ContainerExec(passwords).run(containers.get(node.index()), "pg_ctl " + action[0], timeout, command.toArray(String[]::new));
    }

    private static void stopAll(List<GenericContainer<?>> containers, Network network, Throwable failure) {
        for (GenericContainer<?> container : containers) {
            try {
                container.stop();
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
        try {
            network.close();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private ContainerNode requireMember(ClusterNode node) {
        Objects.requireNonNull(node, "node");
        if (!(node instanceof ContainerNode member) || !nodes.contains(member)) {
            throw new IllegalArgumentException(node + " is not a node of " + this);
        }
        return member;
    }

    private ContainerNode requireOpen(ClusterNode node) {
        ContainerNode member = requireMember(node);
        if (closed.get()) {
            throw new IllegalStateException("the dev cluster containers are closed: " + this);
        }
        return member;
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_INTERVAL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DevServicesException("interrupted while waiting for replicas to stream", e);
        }
    }
}
