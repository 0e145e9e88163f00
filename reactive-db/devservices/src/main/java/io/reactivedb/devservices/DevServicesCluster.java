package io.reactivedb.devservices;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.Secret;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A running dev-services cluster, one primary and N streaming replicas, whichever provider started
 * it: the local binaries ({@link DevCluster}) or containers (Testcontainers, the official
 * {@code postgres} image). Tests that need only what both offer take this type; tests that need
 * the local cluster's folders, logs, TLS or PgBouncer take {@link DevCluster}.
 *
 * <p>Roles, databases, passwords and endpoint names are the same on both (see {@link DevCluster}).
 * Every method blocks, each wait bounded by {@link DevClusterOptions#startTimeout()}; never call one
 * from a reactive thread.
 *
 * <p>What containers do not do: TLS and PgBouncer (the options are refused), and
 * {@link #pause(ClusterNode)} freezes the whole container ({@code docker pause}, the cgroup freezer)
 * rather than sending {@code SIGSTOP}: the effect on clients is the same, a server that holds its
 * connections and never answers.
 */
public interface DevServicesCluster extends AutoCloseable {

    /**
     * Starts a cluster with the provider {@code options} ask for ({@link DevClusterOptions#provider()};
     * at {@link DevClusterProvider#AUTO}, the environment's {@value DevClusterProvider#ENV} decides when
     * set). Blocks for the whole start.
     *
     * @throws DevServicesException when the chosen provider cannot run here (the message names every
     *     provider tried and why it could not), or the start fails
     */
    static DevServicesCluster start(DevClusterOptions options) {
        return ProviderSelection.standard(System.getenv()).select(options).start(options);
    }

    /**
     * As {@link #start(DevClusterOptions)}, the environment given instead of the process's: for
     * launchers that carry their own.
     */
    static DevServicesCluster start(DevClusterOptions options, Map<String, String> environment) {
        return ProviderSelection.standard(environment).select(options).start(options);
    }

    /** {@link DevClusterProvider#LOCAL} or {@link DevClusterProvider#CONTAINERS}: what started this cluster. */
    DevClusterProvider provider();

    /** The node started as primary ({@code node-0}). */
    ClusterNode primary();

    /** The nodes started as replicas, {@code node-1} first. */
    List<? extends ClusterNode> replicas();

    /** The primary followed by the replicas. */
    List<? extends ClusterNode> nodes();

    /** Router settings for the application user, as {@link DevCluster#settings()} describes. */
    ReactiveDbSettings settings();

    /** As {@link #settings()}, every endpoint logging in as the health user. */
    ReactiveDbSettings monitoringSettings();

    /** The primary only, for the migration user. */
    ReactiveDbSettings migrationSettings();

    /** The application user's endpoint of {@code node} with {@code role}, named as in {@link #settings()}. */
    EndpointSettings endpoint(ClusterNode node, EndpointRole role);

    /** The superuser's endpoint of {@code node} in {@link #database()}. */
    EndpointSettings superuserEndpoint(ClusterNode node);

    String database();

    String appUser();

    Secret appPassword();

    String migrationUser();

    Secret migrationPassword();

    String healthUser();

    Secret healthPassword();

    /** The password of the superuser {@value DevCluster#SUPERUSER}. */
    Secret superuserPassword();

    /** The first line of {@code postgres --version}. */
    String serverVersion();

    /** A clean shutdown of the node's server ({@code pg_ctl stop -m fast}); its address stays reserved. */
    void stop(ClusterNode node);

    /** Starts a stopped node's server at the same address; blocks until it accepts connections. */
    void start(ClusterNode node);

    /** {@code pg_ctl stop -m immediate}: like a crash. */
    void kill(ClusterNode node);

    /** {@code pg_ctl promote} on a replica; waits until it is out of recovery. */
    void promote(ClusterNode node);

    /** Freezes the node: it keeps its connections open and answers none (see the type's description). */
    void pause(ClusterNode node);

    /** Undoes {@link #pause(ClusterNode)}. */
    void resume(ClusterNode node);

    /** Runs {@code sql} with psql as the superuser; rows one per line, columns separated by {@code |}. */
    String psql(ClusterNode node, String database, String sql);

    /** Waits until every replica not promoted streams from the primary. */
    void awaitReplicasStreaming(Duration timeout);

    /** Stops every server and removes what the cluster left (folders or containers). Idempotent. */
    @Override
    void close();
}
