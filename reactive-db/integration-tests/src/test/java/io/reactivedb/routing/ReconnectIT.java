package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.error.DbUnavailableException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** {@link ReactiveDbRouter#probe(String)} and {@link ReactiveDbRouter#reconnect(String)} on the shared cluster. */
@DevClusterTest
class ReconnectIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String APPLICATION = "reconnect-it";

    private final DevCluster cluster;
    private ReactiveDbRouter router;

    ReconnectIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeEach
    void router() {
        router = ReactiveDbRouter.builder(cluster.settings().toBuilder()
                        .session(SessionSettings.builder().applicationName(APPLICATION).build()).build())
                .without(RouterFeature.HEALTH_MONITORING).build();
    }

    @AfterEach
    void close() {
        router.shutdown(Duration.ofSeconds(5)).block(WAIT);
    }

    @Test
    void probeRunsOnTheNamedEndpointWhateverItsRole() {
        for (String name : List.of("primary", "replica-1", "replica-2")) {
            StepVerifier.create(router.probe(name))
                    .assertNext(latency -> assertThat(latency).isPositive().isLessThan(WAIT))
                    .expectComplete()
                    .verify(WAIT);
            assertThat(router.endpoint(name).orElseThrow().poolStatistics().acquired()).isZero();
        }
        StepVerifier.create(router.probe("replica-9"))
                .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("replica-9"))
                .verify(WAIT);
    }

    @Test
    void reconnectReplacesThePoolAndLetsWorkInFlightFinishOnTheOldOne() {
        Endpoint primary = router.primary();
        router.warmUp().block(WAIT);
        List<Integer> before = backendPids();

        // A unit of work holds a connection of the old pool while the reconnect starts.
        Sinks.One<Boolean> release = Sinks.one();
        Mono<Integer> held = router.write(session -> session.query("SELECT pg_backend_pid()", row -> row.get(0, Integer.class))
                .concatMap(pid -> release.asMono().thenReturn(pid))).single();
        Sinks.One<Integer> heldPid = Sinks.one();
        held.subscribe(heldPid::tryEmitValue, heldPid::tryEmitError);
        awaitAcquired(primary, 1);

        Mono<Void> reconnect = router.reconnect("primary").cache();
        reconnect.subscribe(done -> { }, error -> { });
        // The fresh pool is in place once the endpoint's statistics no longer show the held connection.
        io.reactivedb.testing.Await.until("the fresh pool", WAIT, () -> primary.poolStatistics().acquired() == 0);
        // New work is served by the new pool while the old one waits for its connection.
        Integer newPid = router.write(session -> session.query("SELECT pg_backend_pid()", row -> row.get(0, Integer.class))).single().block(WAIT);
        assertThat(newPid).isNotNull();

        release.tryEmitValue(Boolean.TRUE);
        StepVerifier.create(heldPid.asMono()).assertNext(pid -> assertThat(pid).isNotNull()).expectComplete().verify(WAIT);
        StepVerifier.create(reconnect).expectComplete().verify(WAIT);

        // Every backend the old pool had goes away; the new pool has opened its own.
        io.reactivedb.testing.Await.until("the old pool's backends to close", WAIT,
                () -> backendPids().stream().noneMatch(before::contains));
        assertThat(backendPids()).isNotEmpty().contains(newPid);
    }

    @Test
    void reconnectAllRebuildsEveryPoolAndRefusesAfterShutdown() {
        router.warmUp().block(WAIT);
        // From a non-blocking thread, as a web handler calls it (BlockHound watches).
        StepVerifier.create(router.reconnectAll().subscribeOn(Schedulers.parallel())).expectComplete().verify(WAIT);
        for (String name : List.of("primary", "replica-1", "replica-2")) {
            StepVerifier.create(router.probe(name)).expectNextCount(1).expectComplete().verify(WAIT);
        }
        StepVerifier.create(router.reconnect("nope")).expectError(IllegalArgumentException.class).verify(WAIT);
        router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        StepVerifier.create(router.reconnect("primary")).expectError(DbUnavailableException.class).verify(WAIT);
    }

    /** The primary's backends of this test's pool, seen from the superuser. */
    private List<Integer> backendPids() {
        String out = cluster.psql(cluster.primary(), cluster.database(),
                "SELECT pid FROM pg_stat_activity WHERE application_name = '" + APPLICATION + "' ORDER BY pid");
        return out.isBlank() ? List.of() : out.lines().map(String::strip).map(Integer::valueOf).toList();
    }

    private static void awaitAcquired(Endpoint endpoint, int count) {
        io.reactivedb.testing.Await.until(count + " acquired connection(s) on " + endpoint.name(), WAIT,
                () -> endpoint.poolStatistics().acquired() >= count);
    }
}
