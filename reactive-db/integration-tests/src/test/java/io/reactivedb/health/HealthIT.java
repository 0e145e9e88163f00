package io.reactivedb.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.routing.ConsistencyTracker;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import io.reactivedb.testing.Await;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Health, lag-aware routing and read-your-writes against a private cluster (these tests stop and pause servers). */
class HealthIT {

    private static final Duration INTERVAL = Duration.ofMillis(500);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static DevCluster cluster;

    private ReactiveDbRouter router;
    private final Queue<HealthEvent> events = new ConcurrentLinkedQueue<>();
    private Disposable subscription;
    private String applicationName;

    @BeforeAll
    static void startCluster() {
        cluster = DevCluster.start(DevClusterOptions.builder().replicas(2).build());
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE health_it (id uuid PRIMARY KEY, note text NOT NULL); GRANT ALL ON health_it TO " + cluster.appUser());
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @BeforeEach
    void startRouter() {
        applicationName = "health-it-" + UUID.randomUUID().toString().substring(0, 8);
        router = ReactiveDbRouter.builder(cluster.settings().toBuilder()
                        .session(SessionSettings.builder().applicationName(applicationName).build()).build())
                .health(HealthSettings.builder().interval(INTERVAL).probeTimeout(Duration.ofMillis(400)).maxLag(Duration.ofSeconds(1)).build())
                .build();
        subscription = router.health().orElseThrow().events().subscribe(events::add);
        // A cold JVM's first connect can outlast the short probe timeout used here: wait for a good round.
        await("healthy", () -> router.health().orElseThrow().current().map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));
    }

    @AfterEach
    void stopRouter() {
        subscription.dispose();
        router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        for (DevNode replica : cluster.replicas()) {
            if (!cluster.isRunning(replica)) {
                cluster.start(replica);
            }
            cluster.resumeReplay(replica);
        }
        cluster.awaitReplicasStreaming(WAIT);
    }

    @Test
    void aStoppedReplicaIsReportedDownWithinTwoIntervalsAndRejoinsWhenStarted() {
        assertThat(router.health().orElseThrow().snapshot().block(WAIT).status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(events.peek()).isInstanceOf(HealthEvent.Snapshot.class);
        DevNode stopped = cluster.replicas().get(0);
        cluster.stop(stopped);
        long stoppedAt = System.nanoTime();
        await("endpoint-down event", () -> events.stream().anyMatch(e -> e instanceof HealthEvent.EndpointDown d && d.endpoint().equals("replica-1")));
        assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isLessThanOrEqualTo(INTERVAL.multipliedBy(2).plusMillis(400));
        assertThat(router.health().orElseThrow().current().orElseThrow().status()).isEqualTo(HealthStatus.DEGRADED);
        assertThat(readPorts(40)).doesNotContain(stopped.port());

        cluster.start(stopped);
        await("endpoint-up event", () -> events.stream().anyMatch(e -> e instanceof HealthEvent.EndpointUp u && u.endpoint().equals("replica-1")));
        await("status healthy", () -> router.health().orElseThrow().current().orElseThrow().status() == HealthStatus.HEALTHY);
        assertThat(readPorts(40)).contains(stopped.port());
    }

    @Test
    void aReplicaWhoseReplayIsPausedLeavesRotationOnceItLagsAndReturnsAfterResume() {
        DevNode paused = cluster.replicas().get(1);
        cluster.pauseReplay(paused);
        // Writes keep coming, so the paused replica falls behind in bytes and in time.
        // Ticks that come while a write is still running are dropped, and a failed write is skipped:
        // on a loaded machine a slow write overflowed the interval, or one failure ended the stream,
        // and with the writes stopped the replica never fell far enough behind (seen on CI).
        Disposable writes = Flux.interval(Duration.ofMillis(50))
                .onBackpressureDrop()
                .concatMap(i -> router.write(s -> s.execute("INSERT INTO health_it VALUES ($1, 'lag')", new UUID(i, System.nanoTime())))
                        .onErrorResume(error -> Mono.empty()), 0)
                .subscribe();
        try {
            await("lag-exceeded event", () -> events.stream().anyMatch(e -> e instanceof HealthEvent.LagExceeded l && l.endpoint().equals("replica-2")));
            EndpointHealth lagging = router.health().orElseThrow().current().orElseThrow().endpoint("replica-2").orElseThrow();
            assertThat(lagging.lagging()).isTrue();
            assertThat(lagging.lagBytes().getAsLong()).isPositive();
            assertThat(readPorts(40)).doesNotContain(paused.port());

            cluster.resumeReplay(paused);
            await("lag-recovered event", () -> events.stream().anyMatch(e -> e instanceof HealthEvent.LagRecovered l && l.endpoint().equals("replica-2")));
            assertThat(readPorts(40)).contains(paused.port());
        } finally {
            writes.dispose();
        }
    }

    @Test
    void readYourWritesSeesTheWriteWhileReplayIsPausedAndUsesReplicasOnceCaughtUp() {
        cluster.replicas().forEach(cluster::pauseReplay);
        ConsistencyTracker session = ConsistencyTracker.start(null);
        UUID id = UUID.randomUUID();
        record Seen(int port, long rows) {
        }
        Mono<Seen> writeThenRead = router.write(s -> s.execute("INSERT INTO health_it VALUES ($1, 'ryw')", id))
                .then(router.read(ReadConsistency.readYourWrites(), s -> s.query(
                        "SELECT inet_server_port(), (SELECT count(*) FROM health_it WHERE id = $1)",
                        row -> new Seen(row.get(0, Integer.class), row.get(1, Long.class)), id)).single())
                .contextWrite(session::into);
        Seen seen = writeThenRead.block(WAIT);
        assertThat(seen.rows()).isEqualTo(1);
        assertThat(seen.port()).isEqualTo(cluster.primary().port());
        assertThat(session.token()).isPresent();

        // An eventual read right now may well not see it: that is what the token is for.
        cluster.replicas().forEach(cluster::resumeReplay);
        await("a replica replayed past the token", () -> router.replicas().stream().anyMatch(r -> r.health()
                .flatMap(EndpointHealth::walPosition).map(p -> p.isAtLeast(session.token().orElseThrow().lsn())).orElse(false)));
        Seen later = router.read(ReadConsistency.readYourWrites(), s -> s.query(
                        "SELECT inet_server_port(), (SELECT count(*) FROM health_it WHERE id = $1)",
                        row -> new Seen(row.get(0, Integer.class), row.get(1, Long.class)), id))
                .single().contextWrite(session::into).block(WAIT);
        assertThat(later.rows()).isEqualTo(1);
        assertThat(later.port()).isIn(cluster.replicas().stream().map(DevNode::port).toList());
    }

    @Test
    void readYourWritesAsksAReplicaForItsReplayPositionWhenTheLastProbeIsOlderThanTheWrite() {
        // Probes far apart: after the first round, the router learns nothing from them during the test.
        ReactiveDbRouter slowProbes = ReactiveDbRouter.builder(cluster.settings().toBuilder()
                        .session(SessionSettings.builder().applicationName(applicationName).build()).build())
                .health(HealthSettings.builder().interval(Duration.ofHours(1)).build())
                .build();
        try {
            await("first probe round", () -> slowProbes.health().orElseThrow().current().map(h -> h.endpoints().stream().allMatch(EndpointHealth::reachable)).orElse(false));
            record Seen(int port, long rows) {
            }
            ConsistencyTracker session = ConsistencyTracker.start(null);
            UUID first = UUID.randomUUID();
            slowProbes.write(s -> s.execute("INSERT INTO health_it VALUES ($1, 'checked')", first)).contextWrite(session::into).blockLast(WAIT);
            Lsn token = session.token().orElseThrow().lsn();
            await("both replicas replayed past the token", () -> cluster.replicas().stream().allMatch(replica ->
                    "t".equals(cluster.psql(replica, "postgres", "SELECT pg_last_wal_replay_lsn() >= '" + token + "'::pg_lsn"))));
            Seen caughtUp = slowProbes.read(ReadConsistency.readYourWrites(), s -> s.query(
                            "SELECT inet_server_port(), (SELECT count(*) FROM health_it WHERE id = $1)",
                            row -> new Seen(row.get(0, Integer.class), row.get(1, Long.class)), first))
                    .single().contextWrite(session::into).block(WAIT);
            assertThat(caughtUp.rows()).isEqualTo(1);
            assertThat(caughtUp.port()).as("a caught-up replica serves the read, not the primary")
                    .isIn(cluster.replicas().stream().map(DevNode::port).toList());

            // Replay paused: the replicas answer with a position before the next write; the primary serves.
            cluster.replicas().forEach(cluster::pauseReplay);
            try {
                UUID second = UUID.randomUUID();
                slowProbes.write(s -> s.execute("INSERT INTO health_it VALUES ($1, 'checked')", second)).contextWrite(session::into).blockLast(WAIT);
                Seen behind = slowProbes.read(ReadConsistency.readYourWrites(), s -> s.query(
                                "SELECT inet_server_port(), (SELECT count(*) FROM health_it WHERE id = $1)",
                                row -> new Seen(row.get(0, Integer.class), row.get(1, Long.class)), second))
                        .single().contextWrite(session::into).block(WAIT);
                assertThat(behind.rows()).isEqualTo(1);
                assertThat(behind.port()).isEqualTo(cluster.primary().port());
            } finally {
                cluster.replicas().forEach(cluster::resumeReplay);
            }
        } finally {
            slowProbes.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    @Test
    void aThousandSubscribersDoNotChangeTheProbeRate() {
        long alone = probeQueriesDuring(Duration.ofSeconds(3));
        List<Disposable> subscribers = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            subscribers.add(router.health().orElseThrow().events().subscribe());
        }
        long crowded = probeQueriesDuring(Duration.ofSeconds(3));
        subscribers.forEach(Disposable::dispose);
        // 3 s at a 500 ms interval: about 6 probes of the primary either way.
        assertThat(alone).isBetween(4L, 8L);
        assertThat(crowded).isBetween(alone - 1, alone + 1);
    }

    @Test
    void aWriteRejectedAsReadOnlyIsReportedNotRetriedEvictsItsConnectionAndTriggersARecheck() {
        ReactiveDbRouter slowProbing = ReactiveDbRouter.builder(cluster.settings().toBuilder()
                        .pool(io.reactivedb.config.PoolSettings.builder().minIdle(0).maxSize(1).build()).build())
                .health(HealthSettings.builder().interval(Duration.ofMinutes(1)).probeTimeout(Duration.ofSeconds(5)).build())
                .build();
        try {
            await("first round", () -> slowProbing.health().orElseThrow().current().isPresent());
            java.time.Instant firstRound = slowProbing.health().orElseThrow().current().orElseThrow().at();
            cluster.psql(cluster.primary(), "postgres", "ALTER DATABASE " + cluster.database() + " SET default_transaction_read_only = on");
            int pidBefore = slowProbing.write(s -> s.query("SELECT pg_backend_pid()", row -> row.get(0, Integer.class))).single().block(WAIT);
            UUID id = UUID.randomUUID();
            reactor.test.StepVerifier.create(slowProbing.write(s -> s.execute("INSERT INTO health_it VALUES ($1, 'read-only')", id)))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(io.reactivedb.error.DbQueryException.class);
                        assertThat(((io.reactivedb.error.DbQueryException) e).sqlState()).contains("25006");
                        assertThat(((io.reactivedb.error.DbQueryException) e).isRetrySafe()).isFalse();
                    })
                    .verify(WAIT);
            await("an immediate topology re-check", () -> slowProbing.health().orElseThrow().current().orElseThrow().at().isAfter(firstRound));
            int pidAfter = slowProbing.write(s -> s.query("SELECT pg_backend_pid()", row -> row.get(0, Integer.class))).single().block(WAIT);
            assertThat(pidAfter).isNotEqualTo(pidBefore);
            assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT count(*) FROM health_it WHERE id = '" + id + "'")).isEqualTo("0");
        } finally {
            cluster.psql(cluster.primary(), "postgres", "ALTER DATABASE " + cluster.database() + " RESET default_transaction_read_only");
            slowProbing.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    /** Probe queries the primary served in {@code window}, from pg_stat_statements (the server's count). */
    private long probeQueriesDuring(Duration window) {
        long before = probeCalls();
        Mono.delay(window).block();
        return probeCalls() - before;
    }

    private long probeCalls() {
        String calls = cluster.psql(cluster.primary(), cluster.database(),
                "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid"
                        + " WHERE r.rolname = '" + cluster.healthUser() + "' AND s.query LIKE '%reactive-db health probe%'");
        return Long.parseLong(calls);
    }

    private List<Integer> readPorts(int reads) {
        return Flux.range(0, reads)
                .concatMap(i -> router.read(s -> s.query("SELECT inet_server_port()", row -> row.get(0, Integer.class))))
                .collectList().block(WAIT);
    }

    private static void await(String what, BooleanSupplier condition) {
        Await.until(what, WAIT, condition);
    }
}
