package io.reactivedb.pool;

import io.reactivedb.routing.RouterFeature;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.routing.DbSession;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code DB_STATEMENT_CACHE_SIZE} bounds the named statements a backend holds: many distinct SQL
 * texts on one connection, then {@code pg_prepared_statements} of that very session.
 */
@DevClusterTest
class StatementCacheIT {

    private static final Logger log = LoggerFactory.getLogger(StatementCacheIT.class);
    private static final Duration WAIT = Duration.ofMinutes(2);

    private final DevCluster cluster;

    StatementCacheIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void tenThousandDistinctTextsLeaveAtMostTheDefaultCacheSizeOnTheBackend() {
        long[] counts = preparedAfterDistinctTexts(SessionSettings.builder(), 10_000);
        log.info("default cache ({}): {} named statements on the backend after 10000 distinct texts, at most {} seen while they ran",
                SessionSettings.DEFAULT_STATEMENT_CACHE_SIZE, counts[0], counts[1]);
        assertThat(counts[0]).isPositive().isLessThanOrEqualTo(SessionSettings.DEFAULT_STATEMENT_CACHE_SIZE);
        assertThat(counts[1]).isLessThanOrEqualTo(SessionSettings.DEFAULT_STATEMENT_CACHE_SIZE + 1L);
    }

    @Test
    void aCacheOfZeroPreparesNothingNamed() {
        long[] counts = preparedAfterDistinctTexts(SessionSettings.builder().statementCacheSize(0), 1_000);
        assertThat(counts[0]).isZero();
        assertThat(counts[1]).isZero();
    }

    /**
     * Runs {@code texts} distinct parameterised statements in one unit of work (one connection) and
     * returns the named statements of that session at the end, and the most seen in a check every
     * 1,000 texts. The checks are parameterless, so the driver sends them as simple queries, which
     * prepare nothing.
     */
    private long[] preparedAfterDistinctTexts(SessionSettings.Builder session, int texts) {
        ReactiveDbSettings settings = cluster.settings().toBuilder()
                .pool(PoolSettings.builder().maxSize(1).minIdle(0).build())
                .session(session.applicationName("statement-cache-it").build())
                .build();
        ReactiveDbRouter router = ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING).build();
        try {
            long[] most = {0};
            Long last = router.write(s -> Flux.range(0, texts)
                            .concatMap(i -> s.query("SELECT $1::int + " + i, row -> row.get(0, Integer.class), 1)
                                    .single()
                                    .doOnNext(sum -> assertThat(sum).isEqualTo(i + 1))
                                    .then(i % 1_000 == 999 ? prepared(s).doOnNext(n -> most[0] = Math.max(most[0], n)).then() : Mono.empty()))
                            .then(prepared(s)))
                    .single()
                    .block(WAIT);
            return new long[] {last, most[0]};
        } finally {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    private static Mono<Long> prepared(DbSession session) {
        return session.query("SELECT count(*) FROM pg_prepared_statements", row -> row.get(0, Long.class)).single();
    }
}
