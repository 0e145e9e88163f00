package io.reactivedb.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import io.reactivedb.testing.Await;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.StepVerifier;

/**
 * Promotion and split brain on a private cluster of one primary and one replica: the primary is
 * stopped, the replica promoted, and later the old primary starts again as a standalone server.
 */
class FailoverIT {

    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static DevCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = DevCluster.start(DevClusterOptions.builder().replicas(1).build());
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE failover_it (id uuid PRIMARY KEY, note text NOT NULL); GRANT ALL ON failover_it TO " + cluster.appUser());
        cluster.awaitReplicasStreaming(WAIT);
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @Test
    void writesFollowThePromotedReplicaAndTheRestartedOldPrimaryGetsNone() {
        DevNode oldPrimary = cluster.primary();
        DevNode promoted = cluster.replicas().get(0);
        ReactiveDbRouter router = ReactiveDbRouter.builder(cluster.settings())
                .health(HealthSettings.builder().interval(INTERVAL).probeTimeout(Duration.ofMillis(400)).build())
                .build();
        Queue<HealthEvent> events = new ConcurrentLinkedQueue<>();
        Disposable subscription = router.health().orElseThrow().events().subscribe(events::add);
        try {
            // A cold JVM's first connect can outlast the short probe timeout used here: wait for a good round.
            await("healthy", () -> router.health().orElseThrow().current().map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));
            assertThat(writePort(router)).isEqualTo(oldPrimary.port());

            cluster.stop(oldPrimary);
            await("no writer", () -> router.writer().isEmpty());
            StepVerifier.create(router.write(s -> s.execute("SELECT 1")))
                    .expectError(DbUnavailableException.class)
                    .verify(WAIT);

            cluster.promote(promoted);
            long promotedAt = System.nanoTime();
            await("writer moved to replica-1", () -> router.writer().map(e -> e.name().equals("replica-1")).orElse(false));
            assertThat(Duration.ofNanos(System.nanoTime() - promotedAt)).isLessThanOrEqualTo(INTERVAL.multipliedBy(2).plusMillis(400));
            assertThat(writePort(router)).isEqualTo(promoted.port());
            assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOf(HealthEvent.RoleChanged.class));

            // The old primary comes back without being rewound: a second server not in recovery.
            cluster.start(oldPrimary);
            await("split-brain event", () -> events.stream().anyMatch(e -> e instanceof HealthEvent.SplitBrain));
            HealthSnapshot snapshot = router.health().orElseThrow().current().orElseThrow();
            assertThat(snapshot.splitBrain()).isTrue();
            assertThat(snapshot.status()).isEqualTo(HealthStatus.DEGRADED);
            assertThat(snapshot.writer()).contains("replica-1");

            UUID id = UUID.randomUUID();
            for (int i = 0; i < 20; i++) {
                assertThat(writePort(router)).isEqualTo(promoted.port());
            }
            router.write(s -> s.execute("INSERT INTO failover_it VALUES ($1, 'after split brain')", id)).blockLast(WAIT);
            assertThat(cluster.psql(promoted, cluster.database(), "SELECT count(*) FROM failover_it WHERE id = '" + id + "'")).isEqualTo("1");
            assertThat(cluster.psql(oldPrimary, cluster.database(), "SELECT count(*) FROM failover_it WHERE id = '" + id + "'")).isEqualTo("0");
            // Nor does it serve reads: it is not in recovery, so it is no replica.
            assertThat(router.endpoint("primary").orElseThrow().isInRotation()).isFalse();
        } finally {
            subscription.dispose();
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    private static int writePort(ReactiveDbRouter router) {
        return router.write(s -> s.query("SELECT inet_server_port()", row -> row.get(0, Integer.class))).single().block(WAIT);
    }

    private static void await(String what, BooleanSupplier condition) {
        Await.until(what, WAIT, condition);
    }
}
