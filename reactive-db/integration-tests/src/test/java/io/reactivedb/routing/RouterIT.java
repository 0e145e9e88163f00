package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.Row;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.ReplicaSelection;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.resilience.BreakerSettings;
import io.reactivedb.testing.Await;
import io.reactivedb.testing.LockHandOffTolerance;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The router against the real dev-services cluster: a primary and two streaming replicas. */
@DevClusterTest
class RouterIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final DevCluster cluster;
    private ReactiveDbRouter router;
    private String applicationName;

    RouterIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    static void schema(DevCluster cluster) {
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE IF NOT EXISTS router_it (id uuid PRIMARY KEY, note text NOT NULL);"
                        + "GRANT ALL ON router_it TO " + cluster.appUser());
    }

    @AfterEach
    void closeRouter() {
        if (router != null) {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    private ReactiveDbRouter router(Function<ReactiveDbSettings.Builder, ReactiveDbSettings.Builder> customizer) {
        return router(customizer, Function.identity());
    }

    private ReactiveDbRouter router(Function<ReactiveDbSettings.Builder, ReactiveDbSettings.Builder> customizer,
                                    Function<RouterBuilder, RouterBuilder> routerCustomizer) {
        applicationName = "router-it-" + UUID.randomUUID().toString().substring(0, 8);
        ReactiveDbSettings base = cluster.settings();
        ReactiveDbSettings settings = customizer.apply(base.toBuilder()
                .session(SessionSettings.builder().applicationName(applicationName).build())).build();
        // These tests steer rotation by hand; the health monitor has its own tests.
        router = routerCustomizer.apply(ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING)).build();
        return router;
    }

    private ReactiveDbRouter router() {
        return router(Function.identity());
    }

    private record Server(boolean inRecovery, int port) {
        static Server of(Row row) {
            return new Server(row.get(0, Boolean.class), row.get(1, Integer.class));
        }
    }

    private static final String WHERE_AM_I = "SELECT pg_is_in_recovery(), inet_server_port()";

    @Test
    void readsLandOnReplicasAndWritesOnThePrimary() {
        ReactiveDbRouter router = router();
        List<Server> reads = Flux.range(0, 20)
                .concatMap(i -> router.read(s -> s.query(WHERE_AM_I, Server::of)))
                .collectList().block(WAIT);
        assertThat(reads).allMatch(Server::inRecovery);
        assertThat(reads).extracting(Server::port)
                .containsOnly(cluster.replicas().stream().map(DevNode::port).toArray(Integer[]::new));

        Server write = router.write(s -> s.query(WHERE_AM_I, Server::of)).single().block(WAIT);
        assertThat(write.inRecovery()).isFalse();
        assertThat(write.port()).isEqualTo(cluster.primary().port());
    }

    @Test
    void readsFallBackToThePrimaryWhenNoReplicaIsInRotation() {
        ReactiveDbRouter router = router();
        router.replicas().forEach(r -> r.inRotation(false));
        Server server = router.read(s -> s.query(WHERE_AM_I, Server::of)).single().block(WAIT);
        assertThat(server.port()).isEqualTo(cluster.primary().port());
    }

    @Test
    void aTransactionOnANamedEndpointRunsThereWhateverTheRotation() {
        ReactiveDbRouter router = router();
        router.replicas().forEach(r -> r.inRotation(false));
        Server pinned = router.inTransactionOn("replica-2", TransactionOptions.readOnlyDefaults(), s -> s.query(WHERE_AM_I, Server::of))
                .single().block(WAIT);
        assertThat(pinned.inRecovery()).isTrue();
        assertThat(pinned.port()).isEqualTo(cluster.replicas().get(1).port());
        Server primary = router.inTransactionOn("primary", TransactionOptions.defaults(), s -> s.query(WHERE_AM_I, Server::of))
                .single().block(WAIT);
        assertThat(primary.port()).isEqualTo(cluster.primary().port());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> router.inTransactionOn("replica-9", TransactionOptions.defaults(),
                        s -> s.execute("SELECT 1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("replica-9").hasMessageContaining("replica-2");
    }

    @Test
    void weightedRoundRobinMatchesTheWeightsOverTenThousandReads() {
        ReactiveDbRouter router = router(b -> b
                .replicas(List.of(cluster.settings().replicas().get(0).toBuilder().weight(3).build(),
                        cluster.settings().replicas().get(1).toBuilder().weight(1).build()))
                .replicaSelection(ReplicaSelection.WEIGHTED_ROUND_ROBIN));
        // Fewer readers at once than a pool has connections: a saturated replica is passed over
        // (saturation-aware placement), which is not what this test measures.
        Map<Integer, Long> byPort = Flux.range(0, 10_000)
                // Fewer in flight than a replica pool holds: no pool saturates, so no read moves to
                // another endpoint for want of a free connection, and the weights alone decide.
                .flatMap(i -> router.read(s -> s.query("SELECT inet_server_port()", row -> row.get(0, Integer.class))), 8)
                .collect(Collectors.groupingBy(port -> port, Collectors.counting()))
                .block(Duration.ofMinutes(2));
        long heavy = byPort.getOrDefault(cluster.replicas().get(0).port(), 0L);
        long light = byPort.getOrDefault(cluster.replicas().get(1).port(), 0L);
        assertThat(heavy + light).isEqualTo(10_000);
        assertThat(heavy / 10_000.0).isCloseTo(0.75, org.assertj.core.data.Offset.offset(0.05));
        assertThat(light / 10_000.0).isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.05));
    }

    @Test
    void leastInFlightSpreadsConcurrentReadsOverBothReplicas() {
        ReactiveDbRouter router = router(b -> b.replicaSelection(ReplicaSelection.LEAST_IN_FLIGHT));
        Map<Integer, Long> byPort = Flux.range(0, 400)
                .flatMap(i -> router.read(s -> s.query("SELECT inet_server_port() FROM pg_sleep(0.002)", row -> row.get(0, Integer.class))), 16)
                .collect(Collectors.groupingBy(port -> port, Collectors.counting()))
                .block(WAIT);
        assertThat(byPort).containsOnlyKeys(cluster.replicas().get(0).port(), cluster.replicas().get(1).port());
        assertThat(byPort.values()).allMatch(n -> n > 100);
    }

    @Test
    void transactionCommitsOnCompletion() {
        ReactiveDbRouter router = router();
        UUID id = UUID.randomUUID();
        StepVerifier.create(router.inTransaction(s -> s.execute("INSERT INTO router_it VALUES ($1, $2)", id, "commit")))
                .expectNext(1L)
                .verifyComplete();
        assertThat(countOnPrimary(id)).isEqualTo(1);
    }

    @Test
    void transactionRollsBackOnError() {
        ReactiveDbRouter router = router();
        UUID id = UUID.randomUUID();
        Flux<Long> failing = router.inTransaction(s -> s.execute("INSERT INTO router_it VALUES ($1, $2)", id, "rollback")
                .then(s.execute("INSERT INTO router_it VALUES ($1, $2)", id, "duplicate")));
        StepVerifier.create(failing)
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(DbQueryException.class);
                    DbQueryException q = (DbQueryException) e;
                    assertThat(q.sqlState()).contains("23505");
                    assertThat(q.constraint()).contains("router_it_pkey");
                    assertThat(q.endpoint()).contains("primary");
                    assertThat(q.isRetrySafe()).isFalse();
                })
                .verify(WAIT);
        assertThat(countOnPrimary(id)).isZero();
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void aCommitThatFailsReachesTheCallerAsTheTranslatedError() {
        ReactiveDbRouter router = router();
        UUID id = UUID.randomUUID();
        // A deferred constraint is checked at COMMIT: the commit itself fails.
        cluster.psql(cluster.primary(), cluster.database(), "CREATE TABLE IF NOT EXISTS router_it_deferred (id uuid,"
                + " CONSTRAINT router_it_deferred_unique UNIQUE (id) DEFERRABLE INITIALLY DEFERRED); GRANT ALL ON router_it_deferred TO "
                + cluster.appUser());
        StepVerifier.create(router.inTransaction(s -> s.execute("INSERT INTO router_it_deferred VALUES ($1)", id)
                        .then(s.execute("INSERT INTO router_it_deferred VALUES ($1)", id))))
                // No result before the commit succeeded: the caller sees the failure only.
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(io.reactivedb.error.DbTransactionException.class);
                    assertThat(((io.reactivedb.error.ReactiveDbException) e).sqlState()).contains("23505");
                    assertThat(e.getMessage()).contains("commit failed");
                })
                .verify(WAIT);
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void aCallerThatCannotGetAConnectionInTimeIsToldThePoolIsExhaustedWithItsState() {
        applicationName = "router-it-" + UUID.randomUUID().toString().substring(0, 8);
        // No retry: an exhausted pool is retry-safe, and a retry would wait for the holder to finish.
        router = ReactiveDbRouter.builder(cluster.settings().toBuilder()
                        .session(SessionSettings.builder().applicationName(applicationName).build())
                        .pool(PoolSettings.builder().minIdle(1).maxSize(1).acquireTimeout(Duration.ofMillis(300)).build()).build())
                .without(RouterFeature.HEALTH_MONITORING, RouterFeature.RETRY).build();
        ReactiveDbRouter router = this.router;
        // The one connection is opened before anyone asks: opening it (login included) can take
        // longer than the 300 ms acquire timeout, which then failed the holder instead of the waiter.
        router.warmUp().block(WAIT);
        // The holder keeps its connection until the waiter has failed (the merge then cancels it): with
        // a holder of fixed length, a loaded machine let it finish during the waiter's 300 ms, and the
        // waiter timed out against a connection on its way back (acquired=0, allocated=1).
        Mono<Object> holder = router.write(s -> s.query("SELECT pg_sleep(60)", row -> row.get(0))).then(Mono.empty());
        // The waiter starts once the holder has its connection (opening one can take longer than
        // the acquire timeout on a loaded machine), so it times out against a pool that is all lent out.
        Mono<Object> waiter = Flux.interval(Duration.ofMillis(10))
                .filter(tick -> router.primary().poolStatistics().acquired() == 1)
                .next()
                .then(router.write(s -> s.query("SELECT 1", row -> row.get(0))).then(Mono.empty()));
        StepVerifier.create(Flux.merge(holder, waiter))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(io.reactivedb.pool.DbPoolExhaustedException.class);
                    assertThat(e.getMessage()).contains("primary", "acquired=1", "max=1");
                    assertThat(((io.reactivedb.pool.DbPoolExhaustedException) e).isRetrySafe()).isTrue();
                })
                .verify(WAIT);
        assertThat(router.primary().poolStatistics().acquireTimeouts()).isEqualTo(1);
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void transactionRollsBackOnCancel() {
        ReactiveDbRouter router = router();
        UUID id = UUID.randomUUID();
        Flux<Object> slow = router.inTransaction(s -> s.execute("INSERT INTO router_it VALUES ($1, $2)", id, "cancel")
                .thenMany(s.query("SELECT 1 FROM pg_sleep(5)", row -> row.get(0))));
        StepVerifier.create(slow)
                .expectSubscription()
                .expectNoEvent(Duration.ofMillis(300))
                .thenCancel()
                .verify(WAIT);
        assertPoolsIdleAndNoOpenTransactions();
        assertThat(countOnPrimary(id)).isZero();
    }

    @Test
    void transactionsRunAtTheIsolationLevelAskedFor() {
        ReactiveDbRouter router = router();
        for (Isolation isolation : Isolation.values()) {
            String level = router.inTransaction(TransactionOptions.of(isolation),
                    s -> s.query("SHOW transaction_isolation", row -> row.get(0, String.class))).single().block(WAIT);
            assertThat(level).isEqualTo(isolation.name().toLowerCase().replace('_', ' '));
        }
        String defaultLevel = router.inTransaction(s -> s.query("SHOW transaction_isolation", row -> row.get(0, String.class)))
                .single().block(WAIT);
        assertThat(defaultLevel).isEqualTo("read committed");
    }

    @Test
    void readOnlyTransactionRunsOnAReplicaAndCannotWrite() {
        ReactiveDbRouter router = router();
        Server server = router.inTransaction(TransactionOptions.readOnlyDefaults(), s -> s.query(WHERE_AM_I, Server::of)).single().block(WAIT);
        assertThat(server.inRecovery()).isTrue();

        router.replicas().forEach(r -> r.inRotation(false));
        UUID id = UUID.randomUUID();
        StepVerifier.create(router.inTransaction(TransactionOptions.of(Isolation.SERIALIZABLE).asReadOnly(),
                        s -> s.execute("INSERT INTO router_it VALUES ($1, $2)", id, "read-only")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(DbQueryException.class)
                        .extracting(t -> ((DbQueryException) t).sqlState().orElseThrow()).isEqualTo("25006"))
                .verify(WAIT);
    }

    @Test
    void rawBeginLeftOpenIsRolledBackBeforeTheNextBorrower() {
        ReactiveDbRouter router = router(b -> b.pool(PoolSettings.builder().minIdle(0).maxSize(1).build()));
        UUID id = UUID.randomUUID();
        router.write(s -> s.execute("BEGIN").then(s.execute("INSERT INTO router_it VALUES ($1, $2)", id, "raw begin"))).blockLast(WAIT);

        Boolean inTransaction = router.write(s -> s.query(
                "SELECT pg_current_xact_id_if_assigned() IS NOT NULL OR now() <> statement_timestamp()",
                row -> row.get(0, Boolean.class))).single().block(WAIT);
        assertThat(inTransaction).isFalse();
        assertThat(countOnPrimary(id)).isZero();
        assertPoolsIdleAndNoOpenTransactions();
    }

    /**
     * Work that takes the first row of a query the server is still busy with and completes (no
     * cancel reaches the unit): its connection must not go back mid-reply. ~100 s of pg_sleep.
     */
    @Test
    void workThatStopsReadingABusyQueryStopsItOnTheServerBeforeTheNextBorrower() {
        ReactiveDbRouter router = router(b -> b.pool(PoolSettings.builder().minIdle(0).maxSize(1).build()));
        Integer pid = router.write(s -> s.query("SELECT g, pg_backend_pid(), pg_sleep(0.001) FROM generate_series(1, 100000) g",
                row -> row.get(1, Integer.class)).next()).single().block(WAIT);
        Await.until("the unit's connection released", WAIT, () -> router.endpoints().stream()
                .allMatch(e -> e.inFlight() == 0 && e.poolStatistics().acquired() == 0));
        Await.until("backend " + pid + " no longer running the query", Duration.ofSeconds(10), () -> "0".equals(
                cluster.psql(cluster.primary(), "postgres", "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid + " AND state = 'active'")));
        // The pool's one connection slot serves the next borrower long before the query would have ended.
        assertThat(router.write(s -> s.query("SELECT 1", row -> row.get(0, Integer.class))).single()
                .block(Duration.ofSeconds(30))).isEqualTo(1);
    }

    @Test
    void changedSessionStateNeverReachesTheNextBorrower() {
        ReactiveDbRouter router = router(b -> b
                .pool(PoolSettings.builder().minIdle(0).maxSize(1).build())
                .session(SessionSettings.builder().applicationName(applicationName).statementTimeout(Duration.ofSeconds(7)).build()));
        int firstPid = router.write(s -> s.execute("SET statement_timeout = 1").then(
                s.query("SELECT pg_backend_pid()", row -> row.get(0, Integer.class)).single())).single().block(WAIT);
        record State(int pid, String timeout) {
        }
        State next = router.write(s -> s.query("SELECT pg_backend_pid(), current_setting('statement_timeout')",
                row -> new State(row.get(0, Integer.class), row.get(1, String.class)))).single().block(WAIT);
        assertThat(next.timeout()).isEqualTo("7s");
        assertThat(next.pid()).isNotEqualTo(firstPid);
    }

    @Test
    void sessionSettingsAreAppliedToEveryConnection() {
        ReactiveDbRouter router = router(b -> b.session(SessionSettings.builder().applicationName(applicationName)
                .statementTimeout(Duration.ofSeconds(9)).lockTimeout(Duration.ofMillis(1500))
                .idleInTransactionTimeout(Duration.ofSeconds(60)).build()));
        List<String> settings = router.read(s -> s.query(
                "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),"
                        + " current_setting('idle_in_transaction_session_timeout'), current_setting('application_name')",
                row -> List.of(row.get(0, String.class), row.get(1, String.class), row.get(2, String.class), row.get(3, String.class))))
                .single().block(WAIT);
        assertThat(settings).containsExactly("9s", "1500ms", "1min", applicationName);
    }

    @Test
    void tenThousandRandomCancelsLeaveNoConnectionBehind() {
        // Slow calls must not open the breaker here: on a loaded machine the statements themselves
        // can take seconds, and the test is about cancel hygiene. A connection failure still opens
        // it, and would fail the test.
        ReactiveDbRouter router = router(b -> b.pool(PoolSettings.builder().minIdle(2).maxSize(8).build()),
                r -> r.breakers(BreakerSettings.builder().slowCallDuration(Duration.ofMinutes(5)).build()));
        AtomicInteger completed = new AtomicInteger();
        Map<String, Integer> errors = new java.util.concurrent.ConcurrentHashMap<>();
        Flux.range(0, 10_000)
                .flatMap(i -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    Flux<Object> work = switch (i % 4) {
                        case 0 -> router.read(s -> s.query("SELECT generate_series(1, 200)", row -> row.get(0)));
                        // ThreadLocalRandom, not UUID.randomUUID(): this runs on event-loop threads, where
                        // SecureRandom's read of /dev/urandom is (rightly) reported by BlockHound.
                        case 1 -> router.inTransaction(s -> s.execute("INSERT INTO router_it VALUES ($1, $2)",
                                        new UUID(random.nextLong(), random.nextLong()), "cancel")
                                .thenMany(s.query("SELECT generate_series(1, 50)", row -> row.get(0))));
                        case 2 -> router.write(s -> s.execute("BEGIN").thenMany(s.query("SELECT generate_series(1, 50)", row -> row.get(0))));
                        default -> router.read(s -> s.query("SELECT 1 FROM pg_sleep(0.001)", row -> row.get(0)));
                    };
                    Flux<Object> cancelled = random.nextBoolean()
                            ? work.take(random.nextInt(0, 60))
                            : work.take(Duration.ofNanos(random.nextLong(0, 3_000_000)));
                    return cancelled.doOnComplete(completed::incrementAndGet).onErrorResume(e -> {
                        errors.merge(e.toString(), 1, Integer::sum);
                        return Mono.empty();
                    });
                }, 64)
                .blockLast(Duration.ofMinutes(3));
        assertThat(errors).isEmpty();
        assertThat(completed.get()).isEqualTo(10_000);
        assertPoolsIdleAndNoOpenTransactions();

        // Every pooled connection still works.
        List<Integer> ones = Flux.range(0, 200)
                .flatMap(i -> router.read(s -> s.query("SELECT 1", row -> row.get(0, Integer.class))), 16)
                .collectList().block(WAIT);
        assertThat(ones).hasSize(200).containsOnly(1);
    }

    @Test
    void aWaitInThePoolsQueueIsNotASlowCallOfTheServer() {
        ReactiveDbRouter router = router(b -> b.pool(PoolSettings.builder().minIdle(1).maxSize(1).build()),
                r -> r.breakers(BreakerSettings.builder().slowCallDuration(Duration.ofMillis(300)).minimumNumberOfCalls(5).slidingWindowSize(20).build()));
        io.reactivedb.resilience.BreakerView breakers = router.breakers().orElseThrow();
        Mono<Void> holder = router.write(s -> s.query("SELECT 1 FROM pg_sleep(0.6)", row -> row.get(0))).then().cache();
        holder.subscribe();
        Await.until("the holder to take the only connection", WAIT, () -> router.primary().poolStatistics().acquired() == 1);

        // Ten instant calls queue behind it: each waits for the 600 ms sleep (at least), none is slow on the server.
        List<Long> waitedMillis = Flux.range(0, 10)
                .flatMap(i -> Mono.defer(() -> {
                    long started = System.nanoTime();
                    return router.write(s -> s.query("SELECT 1", row -> row.get(0))).then()
                            .then(Mono.fromSupplier(() -> Duration.ofNanos(System.nanoTime() - started).toMillis()));
                }), 10)
                .collectList().block(WAIT);
        holder.block(WAIT);
        assertThat(waitedMillis).as("the queued calls, from subscription to end").filteredOn(ms -> ms >= 300).hasSizeGreaterThanOrEqualTo(5);
        assertThat(breakers.metrics("primary").getNumberOfSuccessfulCalls()).isEqualTo(11);
        // The holder's own sleep is slow; timed from subscription, the queued calls would be too (at least 6).
        assertThat(breakers.metrics("primary").getNumberOfSlowCalls()).as("slow calls").isBetween(1, 2);
        assertThat(breakers.state("primary")).isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED);
    }

    @Test
    void aLongStatementCancelledSoonAfterItWasSentIsStoppedOnTheServer() {
        ReactiveDbRouter router = router(b -> b.pool(PoolSettings.builder().minIdle(1).maxSize(2).build()));
        router.warmUp().block(WAIT);
        // Cancelled about 30 ms after it was sent: too young to be cancelled on the server at once, so
        // the router waits for its reply, and must cancel it when it has not come within 100 ms.
        List<Object> rows = router.write(s -> s.query("SELECT pg_sleep(10)", row -> row.get(0)))
                .take(Duration.ofMillis(30))
                .collectList().block(WAIT);
        assertThat(rows).isEmpty();
        // Long before the sleep would end by itself (the bound is generous for a loaded machine).
        Await.until("the sleeping backend to be stopped", Duration.ofSeconds(5), () -> "0".equals(cluster.psql(cluster.primary(), "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + applicationName + "' AND query LIKE '%pg_sleep%'"
                        + " AND state = 'active'")));
        assertPoolsIdleAndNoOpenTransactions();
    }

    @Test
    void shutdownLetsInFlightWorkFinishAndRefusesNewWork() {
        ReactiveDbRouter router = router();
        Mono<Integer> inFlight = router.write(s -> s.query("SELECT 42 FROM pg_sleep(0.5)", row -> row.get(0, Integer.class))).single().cache();
        inFlight.subscribe();
        Mono.delay(Duration.ofMillis(100)).block();
        Mono<Void> shutdown = router.shutdown(Duration.ofSeconds(10));
        shutdown.subscribe();

        StepVerifier.create(router.read(s -> s.query("SELECT 1", row -> row.get(0))))
                .expectError(DbUnavailableException.class)
                .verify(WAIT);
        assertThat(inFlight.block(WAIT)).isEqualTo(42);
        shutdown.block(WAIT);
        assertThat(router.endpoints()).allMatch(e -> e.pool().isClosed());
        assertThat(router.shutdown()).isSameAs(shutdown);
    }

    private int countOnPrimary(UUID id) {
        return Integer.parseInt(cluster.psql(cluster.primary(), cluster.database(),
                "SELECT count(*) FROM router_it WHERE id = '" + id + "'"));
    }

    /** The pool's view and the server's: nothing acquired, no session of this test left in a transaction. */
    private void assertPoolsIdleAndNoOpenTransactions() {
        Boolean idle = Flux.interval(Duration.ofMillis(20))
                .filter(t -> router.endpoints().stream().allMatch(e -> e.poolStatistics().acquired() == 0 && e.inFlight() == 0))
                .next()
                .map(t -> true)
                .timeout(Duration.ofSeconds(10), Mono.just(false))
                .block();
        assertThat(idle).as("pools idle within 10 s: %s; blocking calls reported in this JVM: %s", router.endpoints().stream()
                .map(e -> e + " " + e.poolStatistics().describe()).toList(), LockHandOffTolerance.reported()).isTrue();
        for (DevNode node : cluster.nodes()) {
            String open = cluster.psql(node, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                    + applicationName + "' AND state LIKE 'idle in transaction%'");
            assertThat(open).as("sessions idle in transaction on %s", node.name()).isEqualTo("0");
        }
    }
}
