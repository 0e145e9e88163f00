package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.Durations;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.pool.DbPoolExhaustedException;
import io.reactivedb.resilience.RetrySettings;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A caller's wait for a connection of an exhausted pool, on the real cluster: bounded by the acquire
 * timeout ({@code DB_POOL_TIMEOUT}) plus one second, whatever the retry settings, also when units
 * acquire inside other units. These check a bound, not a speed: the figures are printed for the
 * record. The timeout is 2 s; {@code -Dreactivedb.it.poolTimeout=8s} measures another.
 */
@DevClusterTest
class PoolExhaustionIT {

    private static final Duration WAIT = Duration.ofMinutes(1);
    private static final Duration POOL_TIMEOUT = Durations.parse("reactivedb.it.poolTimeout",
            System.getProperty("reactivedb.it.poolTimeout", "2s"), ChronoUnit.MILLIS);
    private static final Duration BOUND = POOL_TIMEOUT.plusSeconds(1);

    private final DevCluster cluster;
    private ReactiveDbRouter router;

    PoolExhaustionIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @AfterEach
    void closeRouter() {
        if (router != null) {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    private ReactiveDbRouter router(int poolSize, RetrySettings retry) {
        router = ReactiveDbRouter.builder(cluster.settings().toBuilder()
                        .session(SessionSettings.builder().applicationName("exhaustion-it-" + UUID.randomUUID().toString().substring(0, 8)).build())
                        .pool(PoolSettings.builder().minIdle(0).maxSize(poolSize).acquireTimeout(POOL_TIMEOUT).build())
                        .build())
                .without(RouterFeature.HEALTH_MONITORING)
                .retry(retry)
                .queryTimeout(Duration.ofMinutes(1))
                .build();
        return router;
    }

    /** What one caller saw: how long it waited and how it ended. */
    private record Outcome(Duration took, Optional<Throwable> error) {
    }

    private static Mono<Outcome> timed(Flux<?> work) {
        return Mono.defer(() -> {
            long started = System.nanoTime();
            return work.then(Mono.fromSupplier(() -> new Outcome(Duration.ofNanos(System.nanoTime() - started), Optional.empty())))
                    .onErrorResume(error -> Mono.just(new Outcome(Duration.ofNanos(System.nanoTime() - started), Optional.of(error))));
        });
    }

    @ParameterizedTest(name = "{0} attempts")
    @ValueSource(ints = {3, 6})
    void aCallerOfAnExhaustedPoolWaitsNoLongerThanThePoolTimeoutWhateverTheRetrySettings(int attempts) {
        ReactiveDbRouter router = router(1, RetrySettings.builder().maxAttempts(attempts).maxTotalTime(Duration.ofMinutes(1)).build());
        Sinks.Empty<Void> release = Sinks.empty();
        Mono<Void> holder = router.write(s -> s.execute("SELECT 1").then(release.asMono())).then();
        holder.subscribe();
        Await.until("the only connection lent", WAIT, () -> router.primary().poolStatistics().acquired() == 1);

        Outcome caller = timed(router.read(ReadConsistency.strong(), s -> s.query("SELECT 1", row -> row.get(0)))).block(WAIT);
        release.tryEmitEmpty();

        System.out.printf("pool timeout %d ms, %d attempts: the caller waited %d ms and got %s%n", POOL_TIMEOUT.toMillis(), attempts,
                caller.took().toMillis(), caller.error().map(Throwable::toString).orElse("a connection"));
        assertThat(caller.error()).get().isInstanceOf(DbPoolExhaustedException.class);
        assertThat(caller.took()).as("the caller's wait for a connection").isLessThanOrEqualTo(BOUND);
        assertThat(router.primary().poolStatistics().acquireTimeouts()).as("acquisitions that timed out").isEqualTo(1);
    }

    @Test
    void unitsAcquiringInsideUnitsFailWithinThePoolTimeoutAndTheMessageSaysWhy() {
        // Pool 4, 16 callers; each unit needs a second connection of the same pool for its inner unit.
        ReactiveDbRouter router = router(4, RetrySettings.defaults());
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        Flux.range(0, 16)
                .flatMap(caller -> timed(router.write(outer -> outer.execute("SELECT 1")
                        .thenMany(router.write(inner -> inner.execute("SELECT 2"))))), 16)
                .doOnNext(outcomes::add)
                .blockLast(WAIT);

        List<Duration> waits = outcomes.stream().map(Outcome::took).sorted().toList();
        List<Throwable> errors = outcomes.stream().flatMap(o -> o.error().stream()).toList();
        System.out.printf("nested, pool timeout %d ms, pool 4, 16 callers: %d failed, waits %d..%d ms; first error: %s%n",
                POOL_TIMEOUT.toMillis(), errors.size(), waits.get(0).toMillis(), waits.get(waits.size() - 1).toMillis(),
                errors.isEmpty() ? "none" : errors.get(0).getMessage());
        assertThat(outcomes).hasSize(16);
        assertThat(waits.get(waits.size() - 1)).as("the longest caller's wait").isLessThanOrEqualTo(BOUND);
        assertThat(errors).isNotEmpty().allSatisfy(error -> assertThat(error)
                .isInstanceOf(DbPoolExhaustedException.class)
                .hasMessageContaining("pool exhausted")
                .hasMessageContaining("held by units of work that are themselves waiting for another connection of this pool"));
        Await.until("every connection back", WAIT, () -> router.primary().poolStatistics().acquired() == 0);
    }
}
