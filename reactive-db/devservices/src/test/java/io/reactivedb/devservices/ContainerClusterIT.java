package io.reactivedb.devservices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The container provider end to end: a primary and 2 streaming replicas in containers. Runs where
 * Testcontainers finds a Docker engine; elsewhere (as on the project's machines) it is skipped,
 * saying why.
 */
@Tag("database")
class ContainerClusterIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void primaryAndTwoStreamingReplicasInContainers() {
        DevClusterOptions options = DevClusterOptions.builder().provider(DevClusterProvider.CONTAINERS).replicas(2)
                .startTimeout(Duration.ofSeconds(120)).build();
        Optional<String> unavailable = ContainerProvider.standard().unavailable(options);
        assumeTrue(unavailable.isEmpty(), () -> "ContainerClusterIT skipped: the container provider cannot run here: "
                + unavailable.orElse("") + " (the local-binaries cluster covers the other dev-services ITs)");

        DevServicesCluster cluster = DevServicesCluster.start(options);
        try {
            assertThat(cluster.provider()).isEqualTo(DevClusterProvider.CONTAINERS);
            ClusterNode primary = cluster.primary();
            ClusterNode replica = cluster.replicas().get(1);
            assertThat(cluster.nodes()).extracting(ClusterNode::name).containsExactly("node-0", "node-1", "node-2");
            assertThat(cluster.serverVersion()).startsWith("postgres (PostgreSQL)");
            assertThat(cluster.psql(primary, "postgres",
                    "select count(*) from pg_stat_replication where state = 'streaming'")).isEqualTo("2");
            assertThat(cluster.psql(replica, "app", "select pg_is_in_recovery()")).isEqualTo("t");

            // The settings reach each server from the test JVM through the mapped ports, as the application user.
            EndpointSettings replicaEndpoint = cluster.settings().replicas().get(1);
            assertThat(replicaEndpoint.name()).isEqualTo("replica-2");
            assertThat(replicaEndpoint.port()).isEqualTo(replica.port());
            assertThat(currentUser(cluster.settings().primary())).isEqualTo("app");
            assertThat(currentUser(replicaEndpoint)).isEqualTo("app");
            assertThat(cluster.endpoint(replica, EndpointRole.REPLICA).host()).isEqualTo(replica.host());

            // Replication, and a replica's stop and start at the same address.
            cluster.psql(primary, "app", "create table replicated(id int primary key); insert into replicated values (1)");
            Await.until("the table to reach replica-2", WAIT,
                    () -> cluster.psql(replica, "app", "select to_regclass('public.replicated') is not null").equals("t"));
            cluster.stop(replica);
            assertThatThrownBy(() -> cluster.psql(replica, "app", "select 1")).isInstanceOf(DevServicesException.class)
                    .hasMessageNotContaining(cluster.superuserPassword().reveal());
            cluster.start(replica);
            cluster.awaitReplicasStreaming(WAIT);
            assertThat(currentUser(cluster.endpoint(replica, EndpointRole.REPLICA))).isEqualTo("app");

            // Promotion of the first replica.
            ClusterNode first = cluster.replicas().get(0);
            cluster.stop(primary);
            cluster.promote(first);
            assertThat(cluster.psql(first, "app", "select pg_is_in_recovery()")).isEqualTo("f");
            assertThat(cluster.superuserEndpoint(first).role()).isEqualTo(EndpointRole.PRIMARY);
        } finally {
            cluster.close();
        }
        cluster.close(); // idempotent
        assertThatThrownBy(() -> cluster.psql(cluster.primary(), "app", "select 1")).isInstanceOf(IllegalStateException.class);
    }

    private static String currentUser(EndpointSettings endpoint) {
        PostgresqlConnectionFactory factory = new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                .host(endpoint.host()).port(endpoint.port()).database(endpoint.database()).username(endpoint.username())
                .password(endpoint.password().reveal()).connectTimeout(Duration.ofSeconds(10)).build());
        return Mono.usingWhen(factory.create(),
                connection -> Mono.from(connection.createStatement("select current_user").execute())
                        .flatMap(result -> Mono.from(result.map((row, meta) -> row.get(0, String.class)))),
                connection -> connection.close())
                .block(Duration.ofSeconds(30));
    }
}
