package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Streams that clients abandon after their first bytes (issue 15: 50 clients × 20 rounds, each
 * reading about 200 bytes of a 100,000-row listing and going away). Every abort cancels a statement
 * the server is still sending; the connection is kept when it can be brought back in step, so the
 * replicas see few new sessions. Prints the figure; asserts at most one new connection per ten aborts.
 */
@DevClusterTest
class AbortedStreamIT {

    private static final int CLIENTS = 20;
    private static final int ROUNDS = 20;
    private static final int POOL_SIZE = 10;
    private static final String LISTING = "SELECT g, 'owner-' || g, 1000 FROM generate_series(1, 100000) g";

    private final DevCluster cluster;

    AbortedStreamIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void abortedStreamsKeepTheirConnections() {
        String applicationName = "aborted-it-" + UUID.randomUUID().toString().substring(0, 8);
        ReactiveDbSettings settings = cluster.settings().toBuilder()
                .session(SessionSettings.builder().applicationName(applicationName).build())
                .pool(PoolSettings.builder().minIdle(0).maxSize(POOL_SIZE).build())
                .build();
        List<DevNode> replicas = cluster.replicas();
        long before = sessions(replicas);
        ReactiveDbRouter router = ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING).build();
        AtomicInteger aborts = new AtomicInteger();
        Map<String, Integer> errors = new ConcurrentHashMap<>();
        long started = System.nanoTime();
        try {
            Flux.range(0, CLIENTS)
                    .flatMap(client -> Flux.range(0, ROUNDS).concatMap(round -> router.read(ReadConsistency.eventual(),
                                    s -> s.query(LISTING, row -> row.get(0, Integer.class) + "," + row.get(1, String.class) + "," + row.get(2)))
                            // About 200 bytes of NDJSON, then the client is gone.
                            .scan(0, (bytes, line) -> bytes + line.length() + 25)
                            .takeUntil(bytes -> bytes >= 200)
                            .then()
                            .doOnSuccess(done -> aborts.incrementAndGet())
                            .onErrorResume(error -> {
                                errors.merge(error.toString(), 1, Integer::sum);
                                return Mono.empty();
                            })), CLIENTS)
                    .blockLast(Duration.ofMinutes(5));
            Await.until("every connection back in its pool", Duration.ofSeconds(30), () -> router.endpoints().stream()
                    .allMatch(e -> e.inFlight() == 0 && e.poolStatistics().acquired() == 0));
        } finally {
            router.shutdown(Duration.ofSeconds(10)).block(Duration.ofSeconds(30));
        }
        long elapsedMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();
        // A session's count reaches pg_stat_database at the latest when it ends: wait until all have.
        Await.until("the router's sessions to end", Duration.ofSeconds(30), () -> replicas.stream().allMatch(node -> "0".equals(
                cluster.psql(node, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + applicationName + "'"))));
        long opened = sessions(replicas) - before;
        // The pools fill up to their size once whatever the aborts do: those sessions are not churn.
        long poolsOwn = (long) POOL_SIZE * replicas.size();
        long replaced = Math.max(0, opened - poolsOwn);
        System.out.printf("[aborted-streams] %d aborts (%d clients x %d rounds) in %d ms; sessions opened on the replicas: %d,"
                        + " of which %d to fill the pools (%d x %d) and %d to replace connections (%.1f %% of aborts); errors: %s%n",
                aborts.get(), CLIENTS, ROUNDS, elapsedMillis, opened, Math.min(opened, poolsOwn), replicas.size(), POOL_SIZE, replaced,
                100.0 * replaced / Math.max(1, aborts.get()), errors);
        assertThat(errors).isEmpty();
        assertThat(aborts.get()).isEqualTo(CLIENTS * ROUNDS);
        assertThat(replaced).as("connections replaced on the replicas for %d aborts (sessions opened %d, pools' own %d)",
                aborts.get(), opened, poolsOwn).isLessThanOrEqualTo(CLIENTS * ROUNDS / 10);
    }

    /**
     * Sessions ever opened to the cluster's database on these nodes. A session's count is flushed to
     * the statistics when it goes idle (at most every 10 s) and when it ends; this is read once the
     * router's sessions have ended. The psql sessions of the check itself are in another database.
     */
    private long sessions(List<DevNode> nodes) {
        long total = 0;
        for (DevNode node : nodes) {
            total += Long.parseLong(cluster.psql(node, "postgres",
                    "SELECT sessions FROM pg_stat_database WHERE datname = '" + cluster.database() + "'").trim());
        }
        return total;
    }
}
