package io.reactivedb.error;

import io.reactivedb.routing.RouterFeature;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.resilience.Classification;
import io.reactivedb.resilience.FailureClassifier;
import io.reactivedb.routing.DbSession;
import io.reactivedb.routing.Endpoint;
import io.reactivedb.routing.QueryListener;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A protocol violation the server reports in an ErrorResponse ({@code 08P01}) against the real
 * server: the statement was refused before it ran and the connection is still open, so it is a
 * statement error, not a lost connection.
 */
@DevClusterTest
class ProtocolErrorIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final DevCluster cluster;
    private ReactiveDbRouter router;
    private final AtomicInteger retries = new AtomicInteger();

    ProtocolErrorIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @AfterEach
    void closeRouter() {
        if (router != null) {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    private ReactiveDbRouter router() {
        ReactiveDbSettings settings = cluster.settings().toBuilder()
                .session(SessionSettings.builder().applicationName("protocol-it-" + UUID.randomUUID().toString().substring(0, 8)).build())
                .build();
        router = ReactiveDbRouter.builder(settings).without(RouterFeature.HEALTH_MONITORING)
                .queryListener(new QueryListener() {
                    @Override
                    public void onWork(Endpoint endpoint, String operation, String outcome, long nanos) {
                    }

                    @Override
                    public void onRetry(String classification) {
                        retries.incrementAndGet();
                    }
                })
                .build();
        return router;
    }

    /**
     * The driver prepares {@code S_0} with two parameters and keeps it in its cache; the session then
     * replaces {@code S_0} by a one-parameter statement behind the driver's back, so the next use of
     * the cached name sends a Bind with two values for a statement that takes one.
     */
    private static Flux<Integer> bindMismatch(DbSession session) {
        String sql = "SELECT $1::int + $2::int";
        return session.query(sql, row -> row.get(0, Integer.class), 1, 2)
                .thenMany(session.execute("DEALLOCATE ALL"))
                .thenMany(session.execute("PREPARE \"S_0\"(int) AS SELECT 42"))
                .thenMany(session.query(sql, row -> row.get(0, Integer.class), 3, 4));
    }

    private static Throwable errorOf(Flux<?> work) {
        return work.then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(WAIT);
    }

    @Test
    void aBindMismatchIsAStatementErrorThatRanNothingNotALostConnection() {
        ReactiveDbRouter router = router();

        // A Bind that does not fit its named statement is what a transaction pooler the settings do
        // not name causes, so it is reported as that (DbPoolerException, naming DB_POOLER), and as
        // what it is: a protocol violation that ran nothing.
        Throwable write = errorOf(router.write(ProtocolErrorIT::bindMismatch));
        assertThat(write).isInstanceOf(DbPoolerException.class)
                .hasMessageContaining("DB_POOLER")
                .hasMessageContaining("08P01")
                .hasMessageContaining("protocol violation")
                .hasMessageContaining("did not run")
                .hasMessageNotContaining("connection lost");
        assertThat(((ReactiveDbException) write).sqlState()).contains("08P01");
        assertThat(((ReactiveDbException) write).isRetrySafe()).isFalse();
        assertThat(FailureClassifier.classify(write)).isEqualTo(Classification.NOT_RETRYABLE);
        assertThat(FailureClassifier.countsAgainstEndpoint(write)).as("a client's protocol error says nothing about the server").isFalse();

        Throwable read = errorOf(router.read(ReadConsistency.strong(), ProtocolErrorIT::bindMismatch));
        assertThat(read).isInstanceOf(DbPoolerException.class).hasMessageContaining("08P01");
        assertThat(retries.get()).as("retries of work the server refused as a protocol violation").isZero();
        assertThat(router.breakers().orElseThrow().metrics("primary").getNumberOfFailedCalls()).isZero();

        // The connection that met it is not lent again with its driver's stale statement cache.
        assertThat(router.write(s -> s.query("SELECT $1::int + $2::int", row -> row.get(0, Integer.class), 5, 6)).blockLast(WAIT))
                .isEqualTo(11);
    }
}
