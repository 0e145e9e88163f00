package io.reactivedb.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Result;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.testing.Await;
import io.reactivedb.testing.FaultProxy;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Evidence for docs/PERFORMANCE.md: can r2dbc-postgresql (1.1.3) carry several autocommit
 * statements in flight on one connection, as the pipelined Vert.x client does? A proxy forwards
 * the client's messages to the server but withholds every reply; eight single-row updates are then
 * issued at once on one connection, and the server's counter shows how many of them the client
 * actually sent. Vert.x, the control, sends all eight; r2dbc-postgresql sends one and holds the
 * other seven until the first reply arrives (each statement's request stream stays open until its
 * reply ends, and the client writes request streams one after the other). Should a driver upgrade
 * change that, this test fails and the multiplexed read mode is worth building.
 */
@DevClusterTest
class DriverPipeliningIT {

    private static final String BUMP = "UPDATE pipeline_probe SET n = n + 1 WHERE id = $1";
    private static final int STATEMENTS = 8;
    private static final Duration WAIT = Duration.ofSeconds(20);

    private DevCluster cluster;

    @BeforeEach
    void resetCounter(DevCluster cluster) {
        this.cluster = cluster;
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE IF NOT EXISTS pipeline_probe (id int PRIMARY KEY, n int NOT NULL);"
                        + "TRUNCATE pipeline_probe; INSERT INTO pipeline_probe VALUES (1, 0);"
                        + "GRANT SELECT, UPDATE ON pipeline_probe TO " + cluster.appUser());
    }

    private int counter() {
        return Integer.parseInt(cluster.psql(cluster.primary(), cluster.database(), "SELECT n FROM pipeline_probe WHERE id = 1"));
    }

    @Test
    void vertxPipelinedClientSendsEveryStatementBeforeAnyReply() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (FaultProxy proxy = FaultProxy.start(DevCluster.HOST, cluster.primary().port())) {
            PgConnectOptions connect = new PgConnectOptions().setHost(DevCluster.HOST).setPort(proxy.port())
                    .setDatabase(cluster.database()).setUser(cluster.appUser()).setPassword(cluster.appPassword().reveal())
                    // Without the cache, each execution first waits for its own Parse/Describe reply.
                    .setCachePreparedStatements(true);
            SqlClient client = PgBuilder.client().with(new PoolOptions().setMaxSize(1)).connectingTo(connect).using(vertx).build();
            // Prepares the statement on the one connection while replies still come back.
            client.preparedQuery(BUMP).execute(Tuple.of(1)).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
            assertThat(counter()).isEqualTo(1);

            proxy.blackholeResponses();
            for (int i = 0; i < STATEMENTS; i++) {
                client.preparedQuery(BUMP).execute(Tuple.of(1));
            }

            Await.until("all " + STATEMENTS + " pipelined updates applied", WAIT, () -> counter() == 1 + STATEMENTS);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void r2dbcPostgresqlSendsTheNextStatementOnlyAfterTheReplyToThePreviousOne() {
        try (FaultProxy proxy = FaultProxy.start(DevCluster.HOST, cluster.primary().port())) {
            PostgresqlConnection connection = new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                    .host(DevCluster.HOST).port(proxy.port()).database(cluster.database())
                    .username(cluster.appUser()).password(cluster.appPassword().reveal()).build())
                    .create().block(WAIT);
            bump(connection).block(WAIT);
            assertThat(counter()).isEqualTo(1);

            proxy.blackholeResponses();
            Disposable inFlight = Flux.range(0, STATEMENTS).flatMap(i -> bump(connection), STATEMENTS).subscribe();
            try {
                Await.until("the first of the concurrent updates applied", WAIT, () -> counter() == 2);
                // The control above gets all eight through in well under this; here the other seven
                // wait behind the first statement's reply, which never comes.
                Mono.delay(Duration.ofSeconds(2)).block();
                assertThat(counter()).as("updates the server received while the first reply was held back").isEqualTo(2);
            } finally {
                inFlight.dispose();
                proxy.resetAll();
                connection.close().onErrorResume(error -> Mono.empty()).block(WAIT);
            }
        }
    }

    private static Mono<Long> bump(PostgresqlConnection connection) {
        return Flux.from(connection.createStatement(BUMP).bind(0, 1).execute()).flatMap(Result::getRowsUpdated).reduce(0L, Long::sum);
    }
}
