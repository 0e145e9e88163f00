package io.reactivedb.resilience;

import io.reactivedb.routing.RouterFeature;
import io.reactivedb.routing.RouterBuilder;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.error.DbConnectionException;
import io.reactivedb.error.DbOutcomeUnknownException;
import io.reactivedb.error.DbTimeoutException;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.error.ReactiveDbException;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.routing.DbOperation;
import io.reactivedb.routing.Isolation;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.TransactionOptions;
import io.reactivedb.testing.FaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import io.reactivedb.testing.Await;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Fault injection against a private cluster (a primary and two replicas), each server behind a
 * {@link FaultProxy}. Every write carries a client-generated id, and {@link #audit} checks after
 * each test: a write the caller saw succeed exists exactly once, one that failed before it was
 * sent does not exist, one with an unknown outcome exists at most once.
 */
class ResilienceIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static DevCluster cluster;
    private static final Map<String, FaultProxy> proxies = new ConcurrentHashMap<>();

    private ReactiveDbRouter router;
    private String applicationName;
    private final Map<UUID, String> outcomes = new ConcurrentHashMap<>();

    @BeforeAll
    static void startCluster() {
        cluster = DevCluster.start(DevClusterOptions.builder().replicas(2).build());
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE audit (id uuid PRIMARY KEY, note text NOT NULL);"
                        + "CREATE TABLE account (id int PRIMARY KEY, balance bigint NOT NULL);"
                        + "CREATE TABLE transfer (id uuid PRIMARY KEY, source int NOT NULL, target int NOT NULL, amount bigint NOT NULL);"
                        + "GRANT ALL ON audit, account, transfer TO " + cluster.appUser());
        for (DevNode node : cluster.nodes()) {
            proxies.put(node.name(), FaultProxy.start(node.host(), node.port()));
        }
    }

    @AfterAll
    static void stopCluster() {
        proxies.values().forEach(FaultProxy::close);
        cluster.close();
    }

    @BeforeEach
    void name() {
        applicationName = "resilience-it-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void cleanUp() {
        if (router != null) {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
        proxies.values().forEach(FaultProxy::heal);
        for (DevNode node : cluster.nodes()) {
            if (!cluster.isRunning(node)) {
                cluster.start(node);
            }
        }
        audit();
    }

    /** Settings that reach every server through its proxy. */
    private ReactiveDbSettings proxied(PoolSettings pool) {
        ReactiveDbSettings direct = cluster.settings();
        ReactiveDbSettings.Builder b = direct.toBuilder()
                .primary(direct.primary().toBuilder().port(proxies.get(cluster.primary().name()).port()).build())
                .replicas(List.of())
                .pool(pool)
                .session(SessionSettings.builder().applicationName(applicationName).connectTimeout(Duration.ofSeconds(2)).build());
        for (int i = 0; i < cluster.replicas().size(); i++) {
            b.addReplica(direct.replicas().get(i).toBuilder().port(proxies.get(cluster.replicas().get(i).name()).port())
                    .role(EndpointRole.REPLICA).build());
        }
        return b.build();
    }

    private ReactiveDbRouter router(PoolSettings pool, UnaryOperator<RouterBuilder> customizer) {
        router = customizer.apply(ReactiveDbRouter.builder(proxied(pool))
                        .retry(RetrySettings.builder().maxAttempts(4).initialDelay(Duration.ofMillis(20)).maxDelay(Duration.ofMillis(200)).build())
                        .breakers(BreakerSettings.builder().minimumNumberOfCalls(5).slidingWindowSize(10)
                                .waitDurationInOpenState(Duration.ofSeconds(1)).permittedCallsInHalfOpenState(2).build())
                        .queryTimeout(Duration.ofMillis(800))
                        .health(HealthSettings.builder().interval(Duration.ofMillis(500)).probeTimeout(Duration.ofMillis(450)).build()))
                .build();
        return router;
    }

    /** An audited insert: its outcome as the caller saw it is kept for {@link #audit}. */
    private Mono<Void> auditedWrite(ReactiveDbRouter router, String note) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        UUID id = new UUID(random.nextLong(), random.nextLong());
        return router.write(s -> s.execute("INSERT INTO audit VALUES ($1, $2)", id, note))
                .then()
                .doOnSuccess(done -> outcomes.put(id, "success"))
                .onErrorResume(error -> {
                    outcomes.put(id, error instanceof DbOutcomeUnknownException ? "unknown"
                            : error instanceof ReactiveDbException r && r.isRetrySafe() || error instanceof DbUnavailableException ? "not-sent"
                            : "other:" + error.getClass().getSimpleName());
                    return Mono.empty();
                });
    }

    private void audit() {
        if (outcomes.isEmpty()) {
            return;
        }
        Map<String, Integer> stored = new ConcurrentHashMap<>();
        String rows = cluster.psql(cluster.primary(), cluster.database(), "SELECT string_agg(id::text, ',') FROM audit");
        for (String id : rows.isEmpty() ? new String[0] : rows.split(",")) {
            stored.merge(id, 1, Integer::sum);
        }
        outcomes.forEach((id, outcome) -> {
            int count = stored.getOrDefault(id.toString(), 0);
            switch (outcome) {
                case "success" -> assertThat(count).as("write %s the caller saw succeed", id).isEqualTo(1);
                case "not-sent" -> assertThat(count).as("write %s that failed before sending", id).isZero();
                case "unknown" -> assertThat(count).as("write %s with unknown outcome", id).isLessThanOrEqualTo(1);
                default -> throw new AssertionError("write " + id + " ended with an unexpected error: " + outcome);
            }
        });
        outcomes.clear();
    }

    @Test
    void aBlackHoledReplicaOpensItsBreakerReadsGoOnAndItClosesAfterHealing() {
        // Health probing off: here the breaker alone must protect the callers.
        ReactiveDbRouter router = router(PoolSettings.builder().minIdle(2).maxSize(4).build(), b -> b.without(RouterFeature.HEALTH_MONITORING));
        BreakerView breakers = router.breakers().orElseThrow();
        ConcurrentLinkedQueue<BreakerTransition> transitions = new ConcurrentLinkedQueue<>();
        router.breakers().orElseThrow().transitions().subscribe(transitions::add);
        AtomicInteger errors = new AtomicInteger();
        Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
        AtomicInteger reads = new AtomicInteger();
        long end = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        int[] inFlightAtCut = new int[1];
        Mono<Void> faults = Mono.delay(Duration.ofMillis(1500))
                .publishOn(Schedulers.boundedElastic())
                .doOnNext(t -> {
                    inFlightAtCut[0] = router.endpoint("replica-1").orElseThrow().inFlight();
                    proxies.get(cluster.replicas().get(0).name()).blackhole();
                })
                .then(Mono.delay(Duration.ofSeconds(3)))
                .publishOn(Schedulers.boundedElastic())
                .doOnNext(t -> proxies.get(cluster.replicas().get(0).name()).heal())
                .then();
        Flux<Integer> load = Flux.range(0, 8).flatMap(worker -> Mono.defer(() -> router.read(s -> s.query("SELECT 1", row -> row.get(0, Integer.class))).single())
                .doOnNext(one -> reads.incrementAndGet())
                .onErrorResume(error -> {
                    errors.incrementAndGet();
                    errorKinds.merge(error.getClass().getSimpleName() + ": " + error.getMessage(), 1, Integer::sum);
                    return Mono.empty();
                })
                .repeat(() -> System.nanoTime() < end));
        Mono.when(faults, load.then()).block(WAIT);

        assertThat(reads.get()).isGreaterThan(1000);
        assertThat(errors.get()).as("errors beyond the %d reads in flight on replica-1 at the cut: %s", inFlightAtCut[0], errorKinds)
                .isLessThanOrEqualTo(inFlightAtCut[0]);
        await("breaker closed again", () -> {
            router.read(s -> s.query("SELECT 1", row -> row.get(0))).blockLast(WAIT);
            return breakers.state("replica-1") == CircuitBreaker.State.CLOSED;
        });
        assertThat(transitions).extracting(t -> t.endpoint() + ":" + t.to())
                .containsSubsequence("replica-1:OPEN", "replica-1:HALF_OPEN", "replica-1:CLOSED");
    }

    @Test
    void writesFailFastWhileThePrimaryIsDownAndResumeAfterItsRestart() {
        ReactiveDbRouter router = router(PoolSettings.builder().minIdle(1).maxSize(4).build(), b -> b);
        await("healthy", () -> router.health().orElseThrow().current().map(h -> h.writer().isPresent() && h.endpoints().stream().allMatch(e -> e.reachable())).orElse(false));
        ConcurrentLinkedQueue<Long> fastFailures = new ConcurrentLinkedQueue<>();
        AtomicInteger readsDuringOutage = new AtomicInteger();
        AtomicInteger readErrors = new AtomicInteger();
        Map<String, Integer> readErrorKinds = new ConcurrentHashMap<>();

        cluster.stop(cluster.primary());
        long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        Flux<Void> writes = Flux.range(0, 4).flatMap(worker -> Mono.defer(() -> {
            long started = System.nanoTime();
            ThreadLocalRandom random = ThreadLocalRandom.current();
            UUID id = new UUID(random.nextLong(), random.nextLong());
            return router.write(s -> s.execute("INSERT INTO audit VALUES ($1, 'outage')", id)).then()
                    .doOnSuccess(done -> outcomes.put(id, "success"))
                    .onErrorResume(error -> {
                        if (error instanceof DbUnavailableException) {
                            fastFailures.add(System.nanoTime() - started);
                        }
                        outcomes.put(id, error instanceof DbOutcomeUnknownException ? "unknown"
                                : error instanceof ReactiveDbException r && (r.isRetrySafe() || r instanceof DbUnavailableException) ? "not-sent"
                                : "other:" + error);
                        return Mono.empty();
                    });
        }).repeat(() -> System.nanoTime() < end));
        Flux<Object> reads = Flux.range(0, 2).flatMap(worker -> Mono.defer(() -> router.read(s -> s.query("SELECT 1", row -> row.get(0))).single())
                .doOnNext(x -> readsDuringOutage.incrementAndGet())
                .onErrorResume(error -> {
                    readErrors.incrementAndGet();
                    readErrorKinds.merge(error.getClass().getSimpleName() + ": " + error.getMessage(), 1, Integer::sum);
                    return Mono.empty();
                })
                .repeat(() -> System.nanoTime() < end));
        Mono.when(writes, reads).block(WAIT);

        assertThat(fastFailures).hasSizeGreaterThan(20);
        long[] sorted = fastFailures.stream().mapToLong(Long::longValue).sorted().toArray();
        long p99 = sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)];
        assertThat(Duration.ofNanos(p99)).as("p99 of writes refused while the primary is out").isLessThan(Duration.ofMillis(50));
        assertThat(readsDuringOutage.get()).isGreaterThan(100);
        assertThat(readErrors.get()).as("read errors: %s", readErrorKinds).isZero();
        // Calls the breaker refused were never counted as in flight, so the count drains to zero.
        await("nothing in flight", () -> router.endpoints().stream().allMatch(e -> e.inFlight() == 0));

        cluster.start(cluster.primary());
        await("a write succeeds again", () -> {
            auditedWrite(router, "after restart").block(WAIT);
            return outcomes.containsValue("success");
        });
    }

    @Test
    void terminatedBackendsAreReplacedIdleOnesWithoutCallerErrors() {
        ReactiveDbRouter router = router(PoolSettings.builder().minIdle(4).maxSize(4).build(), b -> b.without(RouterFeature.RETRY, RouterFeature.HEALTH_MONITORING));
        router.warmUp().block(WAIT);
        ConcurrentLinkedQueue<Throwable> midQueryErrors = new ConcurrentLinkedQueue<>();
        Flux<Object> midQuery = Flux.range(0, 2).flatMap(i -> router.read(s -> s.query("SELECT pg_sleep(3)", row -> row.get(0)))
                .onErrorResume(error -> {
                    midQueryErrors.add(error);
                    return Mono.empty();
                }));
        Mono<Void> terminate = Mono.delay(Duration.ofMillis(500)).publishOn(Schedulers.boundedElastic()).doOnNext(t -> {
            for (DevNode node : cluster.nodes()) {
                cluster.psql(node, "postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '"
                        + applicationName + "'");
            }
        }).then();
        Mono.when(midQuery, terminate).block(WAIT);
        assertThat(midQueryErrors).hasSize(2).allSatisfy(e -> assertThat(e).isInstanceOf(DbConnectionException.class));

        long started = System.nanoTime();
        // Let the client see the sockets the server closed; idle connections are then replaced on acquire.
        Mono.delay(Duration.ofMillis(100)).block();
        List<Integer> ones = Flux.range(0, 100).flatMap(i -> router.read(s -> s.query("SELECT 1", row -> row.get(0, Integer.class))), 8)
                .collectList().block(WAIT);
        assertThat(ones).hasSize(100);
        await("pools full again", () -> router.endpoints().stream().allMatch(e -> e.poolStatistics().allocated() == 4));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("pools full of working connections again")
                .isLessThan(Duration.ofSeconds(1));
        assertThat(router.endpoints()).allMatch(e -> e.poolStatistics().acquired() == 0);
        for (DevNode node : cluster.nodes()) {
            assertThat(Integer.parseInt(cluster.psql(node, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                    + applicationName + "'"))).as("server connections on %s", node.name()).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void aRestartedPrimaryServesEverythingAgainWithinFiveSecondsWithoutAConnectionStorm() {
        ReactiveDbRouter router = router(PoolSettings.builder().minIdle(2).maxSize(4).build(), b -> b);
        await("healthy", () -> router.health().orElseThrow().current().map(h -> h.writer().isPresent()).orElse(false));
        ConcurrentLinkedQueue<String> failuresAfterRecovery = new ConcurrentLinkedQueue<>();
        long[] recoveredAt = {Long.MAX_VALUE};
        AtomicInteger maxBackends = new AtomicInteger();
        AtomicInteger maxNewPerSecond = new AtomicInteger();
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Flux<Object> mixed = Flux.range(0, 6).flatMap(worker -> Mono.defer(() -> {
            long started = System.nanoTime();
            Mono<?> op = worker % 2 == 0 ? auditedWrite(router, "restart").thenReturn(1)
                    : router.read(s -> s.query("SELECT 1", row -> row.get(0))).single();
            return op.onErrorResume(error -> {
                if (started > recoveredAt[0] + Duration.ofSeconds(5).toNanos()) {
                    failuresAfterRecovery.add(error.toString());
                }
                return Mono.empty();
            });
        }).repeat(() -> System.nanoTime() < end));
        Mono<Void> restart = Mono.delay(Duration.ofSeconds(1))
                .publishOn(Schedulers.boundedElastic())
                .doOnNext(t -> {
                    cluster.restart(cluster.primary());
                    recoveredAt[0] = System.nanoTime();
                })
                .then(Flux.interval(Duration.ofMillis(250)).take(20).publishOn(Schedulers.boundedElastic()).doOnNext(t -> {
                    String[] counts = cluster.psql(cluster.primary(), "postgres", "SELECT count(*) || ',' || count(*) FILTER (WHERE backend_start"
                            + " > now() - interval '1 second') FROM pg_stat_activity WHERE application_name = '" + applicationName + "'").split(",");
                    maxBackends.accumulateAndGet(Integer.parseInt(counts[0]), Math::max);
                    maxNewPerSecond.accumulateAndGet(Integer.parseInt(counts[1]), Math::max);
                }).then());
        Mono.when(mixed, restart).block(WAIT);
        long writesAfter = outcomes.entrySet().stream().filter(e -> e.getValue().equals("success")).count();
        assertThat(writesAfter).isPositive();
        assertThat(failuresAfterRecovery).as("operations failing more than 5 s after the restart; health now %s; breakers %s",
                router.health().orElseThrow().current().orElse(null), router.endpoints().stream()
                        .map(e -> e.name() + "=" + router.breakers().orElseThrow().state(e.name())).toList()).isEmpty();
        assertThat(maxBackends.get()).as("connections of this router on the primary after the restart").isLessThanOrEqualTo(4);
        // The limiter: a burst of the pool size (4), then at most 10 per second.
        assertThat(maxNewPerSecond.get()).as("new connections within one second").isLessThanOrEqualTo(14);
    }

    @Test
    void aResetAfterSendingIsOutcomeUnknownAndNeverRetriedButOneBeforeSendingIsRetried() {
        // A lenient breaker: this test is about what retry does, and the refused attempts would open a strict one.
        ReactiveDbRouter router = router(PoolSettings.builder().minIdle(0).maxSize(1).build(), b -> b.without(RouterFeature.HEALTH_MONITORING)
                .breakers(BreakerSettings.builder().minimumNumberOfCalls(50).slidingWindowSize(50).build()));
        FaultProxy primaryProxy = proxies.get(cluster.primary().name());
        router.write(s -> s.execute("SELECT 1")).blockLast(WAIT);

        UUID sent = UUID.randomUUID();
        primaryProxy.blackholeResponses();
        Mono<Throwable> afterSend = router.write(s -> s.execute("INSERT INTO audit VALUES ($1, 'after send')", sent))
                .then(Mono.<Throwable>empty())
                .onErrorResume(Mono::just);
        Mono<Void> reset = Mono.delay(Duration.ofMillis(300)).publishOn(Schedulers.boundedElastic()).doOnNext(t -> primaryProxy.resetAll()).then();
        Throwable error = Mono.zip(afterSend, reset.thenReturn(1)).map(t -> t.getT1()).block(WAIT);
        assertThat(error).isInstanceOf(DbOutcomeUnknownException.class);
        outcomes.put(sent, "unknown");
        primaryProxy.heal();
        assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT count(*) FROM audit WHERE id = '" + sent + "'"))
                .as("the statement reached the server once and was not retried").isEqualTo("1");

        UUID notSent = UUID.randomUUID();
        primaryProxy.refuseNewConnections(true);
        Mono<Void> heal = Mono.delay(Duration.ofMillis(60)).publishOn(Schedulers.boundedElastic()).doOnNext(t -> primaryProxy.heal()).then();
        Mono<Long> beforeSend = router.write(s -> s.execute("INSERT INTO audit VALUES ($1, 'before send')", notSent)).single();
        Long inserted = Mono.zip(beforeSend, heal.thenReturn(1)).map(t -> t.getT1()).block(WAIT);
        assertThat(inserted).isEqualTo(1L);
        outcomes.put(notSent, "success");
    }

    @Test
    void readsQueuedOnAReplicaThatRefusesConnectionsMoveOnAtItsFirstRefusal() {
        // One connection per pool, at most 10 new ones a second: every read queued on replica-1
        // would otherwise wait for a refused attempt of its own, 100 ms after the one before.
        ReactiveDbRouter router = router(PoolSettings.builder().minIdle(0).maxSize(1).build(), b -> b.without(RouterFeature.HEALTH_MONITORING));
        FaultProxy refusing = proxies.get(cluster.replicas().get(0).name()).refuseNewConnections(true);
        int attemptsBefore = refusing.acceptedConnections();

        List<Integer> ones = Flux.range(0, 40)
                .flatMap(i -> router.read(s -> s.query("SELECT 1", row -> row.get(0, Integer.class))), 40)
                .collectList().block(WAIT);

        assertThat(ones).hasSize(40).containsOnly(1);
        // About 20 reads were routed to replica-1 at once; they failed over together at the first
        // refusal, and the breaker (opened by their failures) kept the retries away from it. Each
        // waiting for its own refusal, they made 7 attempts in the run that showed the problem.
        assertThat(refusing.acceptedConnections() - attemptsBefore).as("connection attempts to replica-1").isLessThanOrEqualTo(2);
        assertThat(router.breakers().orElseThrow().state("replica-1")).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void readsWaitingToConnectToAServerTheHealthMonitorCannotReachFailOver() {
        // Logins to replica-1 will hang until a 20 s connect timeout; the query timeout is 30 s. Only
        // the health monitor (probes every 500 ms) can tell the waiting reads that the server is gone.
        ReactiveDbSettings proxied = proxied(PoolSettings.builder().minIdle(1).maxSize(1).build());
        router = ReactiveDbRouter.builder(proxied.toBuilder()
                        .session(SessionSettings.builder().applicationName(applicationName).connectTimeout(Duration.ofSeconds(20)).build())
                        .build())
                .retry(RetrySettings.builder().maxAttempts(4).initialDelay(Duration.ofMillis(20)).maxDelay(Duration.ofMillis(200)).build())
                .queryTimeout(Duration.ofSeconds(30))
                .health(HealthSettings.builder().interval(Duration.ofMillis(500)).probeTimeout(Duration.ofMillis(450)).build())
                .build();
        ReactiveDbRouter router = this.router;
        await("healthy", () -> router.health().orElseThrow().current().map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));

        // Without the health monitor's word they would wait out the 20 s connect timeout.
        assertThat(twentyReadsWhileReplica1HangsLogins(router)).isLessThan(Duration.ofSeconds(10));
        assertThat(router.endpoint("replica-1").orElseThrow().isInRotation()).isFalse();
    }

    @Test
    void aLoginThatIsNeverAnsweredEndsAtTheConnectTimeoutAndTheReadsWaitingForItFailOver() {
        // No health monitor here: the connect timeout (2 s, login included) must end the hanging
        // attempt, and the reads queued behind it go with it instead of waiting out the 30 s acquire timeout.
        ReactiveDbRouter router = router(PoolSettings.builder().minIdle(1).maxSize(1).build(), b -> b
                .without(RouterFeature.HEALTH_MONITORING)
                .queryTimeout(Duration.ofSeconds(30)));
        router.warmUp().block(WAIT);

        // The 2 s connect timeout, then a retry elsewhere; far from the 30 s acquire timeout.
        assertThat(twentyReadsWhileReplica1HangsLogins(router)).isLessThan(Duration.ofSeconds(15));
    }

    /**
     * Breaks every open connection to replica-1 (the pool's, the probe's) and makes it take new ones
     * without ever answering; then runs 20 reads at once, all of which must succeed elsewhere.
     *
     * @return how long the 20 reads took
     */
    private Duration twentyReadsWhileReplica1HangsLogins(ReactiveDbRouter router) {
        proxies.get(cluster.replicas().get(0).name()).hangNewConnections(true).resetAll();
        long started = System.nanoTime();
        List<Integer> ones = Flux.range(0, 20)
                .flatMap(i -> router.read(s -> s.query("SELECT 1", row -> row.get(0, Integer.class))), 20)
                .collectList().block(WAIT);
        assertThat(ones).hasSize(20).containsOnly(1);
        return Duration.ofNanos(System.nanoTime() - started);
    }

    @Test
    void serializableTransfersWithConflictsAreRetriedAndCommitExactlyOnce() {
        cluster.psql(cluster.primary(), cluster.database(), "TRUNCATE account, transfer;"
                + "INSERT INTO account SELECT g, 1000 FROM generate_series(1, 10) g");
        AtomicInteger retries = new AtomicInteger();
        // Health probing off: this test is about conflicts, and this class's tight probe timeout can
        // take the primary out on a loaded machine, which would fail transfers as unavailable.
        ReactiveDbRouter router = router(PoolSettings.builder().minIdle(4).maxSize(8).build(), b -> b
                .without(RouterFeature.HEALTH_MONITORING)
                .retry(RetrySettings.builder().maxAttempts(50).initialDelay(Duration.ofMillis(5)).maxDelay(Duration.ofMillis(50))
                        .maxTotalTime(Duration.ofSeconds(60)).build())
                .queryTimeout(Duration.ofSeconds(20))
                .queryListener(new io.reactivedb.routing.QueryListener() {
                    @Override
                    public void onWork(io.reactivedb.routing.Endpoint endpoint, String operation, String outcome, long nanos) {
                    }

                    @Override
                    public void onRetry(String classification) {
                        retries.incrementAndGet();
                    }
                }));
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ids.add(UUID.randomUUID());
        }
        AtomicInteger committed = new AtomicInteger();
        Flux.fromIterable(ids).flatMap(id -> {
            int source = 1 + Math.floorMod(id.hashCode(), 10);
            int target = 1 + Math.floorMod(source + Math.floorMod((int) id.getLeastSignificantBits(), 9), 10);
            long amount = 1 + Math.floorMod((int) id.getMostSignificantBits(), 50);
            return router.inTransaction(TransactionOptions.of(Isolation.SERIALIZABLE), s -> s
                            .query("SELECT balance FROM account WHERE id = $1", row -> row.get(0, Long.class), source).single()
                            .flatMap(balance -> s.execute("UPDATE account SET balance = $1 WHERE id = $2", balance - amount, source))
                            .then(s.query("SELECT balance FROM account WHERE id = $1", row -> row.get(0, Long.class), target).single())
                            .flatMap(balance -> s.execute("UPDATE account SET balance = $1 WHERE id = $2", balance + amount, target))
                            .then(s.execute("INSERT INTO transfer VALUES ($1, $2, $3, $4)", id, source, target, amount)))
                    .doOnComplete(committed::incrementAndGet);
        }, 8).blockLast(Duration.ofMinutes(2));

        assertThat(committed.get()).isEqualTo(200);
        assertThat(retries.get()).as("serialization conflicts retried").isPositive();
        assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT count(*) FROM transfer")).isEqualTo("200");
        assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT sum(balance) FROM account")).isEqualTo("10000");
    }

    @Test
    void aTimedOutQueryIsCancelledOnTheServer() {
        ReactiveDbRouter router = router(PoolSettings.builder().minIdle(1).maxSize(2).build(), b -> b.without(RouterFeature.RETRY, RouterFeature.HEALTH_MONITORING)
                .slowQueryLog(SlowQueryLog.of(Duration.ofMillis(100), 10)));
        long started = System.nanoTime();
        Throwable error = router.write(s -> s.query("SELECT pg_sleep(10)", row -> row.get(0)))
                .contextWrite(DbOperation.timeout(Duration.ofMillis(200)))
                .then(Mono.<Throwable>empty())
                .onErrorResume(Mono::just)
                .block(WAIT);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(error).isInstanceOf(DbOutcomeUnknownException.class).hasMessageContaining("200 ms");
        assertThat(took).isBetween(Duration.ofMillis(200), Duration.ofMillis(1500));

        Throwable readError = router.read(s -> s.query("SELECT pg_sleep(10)", row -> row.get(0)))
                .contextWrite(DbOperation.timeout(Duration.ofMillis(200)))
                .then(Mono.<Throwable>empty())
                .onErrorResume(Mono::just)
                .block(WAIT);
        assertThat(readError).isInstanceOf(DbTimeoutException.class);
        // Recorded when the unit has finished, which may be just after the caller saw the error.
        await("both slow units recorded", () -> router.slowQueries().orElseThrow().recent().size() == 2);
        assertThat(router.slowQueries().orElseThrow().recent()).hasSize(2)
                .allSatisfy(slow -> assertThat(slow.sql()).isEqualTo("SELECT pg_sleep(10)"));
        long cancelledAt = System.nanoTime();
        await("no backend of this router still sleeping", () -> "0".equals(cluster.psql(cluster.primary(), "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + applicationName + "' AND query LIKE '%pg_sleep%' AND state = 'active'"))
                && cluster.replicas().stream().allMatch(r -> "0".equals(cluster.psql(r, "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + applicationName + "' AND query LIKE '%pg_sleep%' AND state = 'active'"))));
        assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(Duration.ofSeconds(1));
        assertThat(router.endpoints()).allSatisfy(e -> await("released", () -> e.poolStatistics().acquired() == 0));
    }

    private static boolean await(String what, BooleanSupplier condition) {
        Await.until(what, WAIT, condition);
        return true;
    }
}
