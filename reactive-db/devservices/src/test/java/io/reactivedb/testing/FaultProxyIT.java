package io.reactivedb.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.error.ErrorTranslator;
import io.reactivedb.error.Phase;
import io.reactivedb.resilience.Classification;
import io.reactivedb.resilience.FailureClassifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;

/**
 * The fault proxy between the r2dbc driver and a private one-node dev cluster. Blocking is done on
 * the test thread only.
 */
class FaultProxyIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration HANG = Duration.ofSeconds(2);
    private static final AtomicInteger MARKERS = new AtomicInteger();

    private static DevCluster cluster;
    private static PostgresqlConnectionFactory direct;

    private FaultProxy proxy;
    private PostgresqlConnectionFactory proxied;
    private final List<PostgresqlConnection> connections = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        cluster = DevCluster.start(DevClusterOptions.builder().replicas(0).build());
        direct = factory(cluster.primary().port());
        PostgresqlConnection c = Mono.from(direct.create()).block(WAIT);
        try {
            c.createStatement("CREATE TABLE fault_proxy_it (note text NOT NULL)").execute()
                    .flatMap(r -> r.getRowsUpdated()).then().block(WAIT);
        } finally {
            c.close().block(WAIT);
        }
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void startProxy() {
        proxy = FaultProxy.start(DevCluster.HOST, cluster.primary().port());
        proxied = factory(proxy.port());
    }

    @AfterEach
    void closeAll() {
        proxy.heal();
        for (PostgresqlConnection c : connections) {
            c.close().onErrorResume(e -> Mono.empty()).timeout(HANG, Mono.empty()).block(WAIT);
        }
        proxy.close();
    }

    private static PostgresqlConnectionFactory factory(int port) {
        EndpointSettings su = cluster.superuserEndpoint(cluster.primary());
        return new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                .host(DevCluster.HOST).port(port).database(su.database()).username(su.username()).password(su.password().reveal())
                .connectTimeout(Duration.ofSeconds(5)).build());
    }

    private PostgresqlConnection connect(PostgresqlConnectionFactory factory) {
        PostgresqlConnection c = Mono.from(factory.create()).block(WAIT);
        connections.add(c);
        return c;
    }

    private static Mono<Integer> selectOne(PostgresqlConnection c) {
        return c.createStatement("SELECT 1").execute().flatMap(r -> r.map((row, md) -> row.get(0, Integer.class))).single();
    }

    private static long count(String note) {
        PostgresqlConnection c = Mono.from(direct.create()).block(WAIT);
        try {
            return c.createStatement("SELECT count(*) FROM fault_proxy_it WHERE note = $1").bind("$1", note).execute()
                    .flatMap(r -> r.map((row, md) -> row.get(0, Long.class))).single().block(WAIT);
        } finally {
            c.close().block(WAIT);
        }
    }

    private static Throwable failure(Runnable blocking) {
        Throwable thrown = catchThrowable(blocking::run);
        assertThat(thrown).as("expected a failure").isNotNull();
        return Exceptions.unwrap(thrown);
    }

    @Test
    void queriesPassThrough() {
        PostgresqlConnection c = connect(proxied);
        assertThat(selectOne(c).block(WAIT)).isEqualTo(1);
        assertThat(proxy.openConnections()).isEqualTo(1);
    }

    @Test
    void latencyDelaysEachRoundTripAndHealRemovesIt() {
        PostgresqlConnection c = connect(proxied);
        proxy.latency(Duration.ofMillis(300));
        long start = System.nanoTime();
        assertThat(selectOne(c).block(WAIT)).isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        proxy.heal();
        assertThat(selectOne(c).block(WAIT)).isEqualTo(1);
    }

    @Test
    void resetAllFailsOpenConnectionsWithAConnectionError() {
        PostgresqlConnection c = connect(proxied);
        assertThat(selectOne(c).block(WAIT)).isEqualTo(1);
        proxy.resetAll();
        assertThat(proxy.openConnections()).isZero();

        Throwable error = failure(() -> selectOne(c).block(WAIT));
        assertThat(ErrorTranslator.isConnectionFailure(error)).as("connection failure: %s", error).isTrue();
        assertThat(FailureClassifier.countsAgainstEndpoint(error)).isTrue();
        // Raw, without a phase, a lost connection may have carried a write; the router knows a read cannot have.
        assertThat(FailureClassifier.classify(error)).isIn(Classification.RETRYABLE_CONNECTION, Classification.OUTCOME_UNKNOWN);
        assertThat(FailureClassifier.classify(ErrorTranslator.translate(error, "primary", Phase.EXECUTE, false)))
                .isEqualTo(Classification.RETRYABLE_CONNECTION);
    }

    @Test
    void blackholedResponsesHangWhileTheStatementRunsOnTheServer() {
        PostgresqlConnection c = connect(proxied);
        String marker = "blackhole-" + MARKERS.incrementAndGet();
        proxy.blackholeResponses();

        Throwable error = failure(() -> c.createStatement("INSERT INTO fault_proxy_it (note) VALUES ($1)").bind("$1", marker).execute()
                .flatMap(r -> r.getRowsUpdated()).then().timeout(HANG).block(WAIT));
        assertThat(error).isInstanceOf(TimeoutException.class);
        assertThat(FailureClassifier.countsAgainstEndpoint(error)).isTrue();
        assertThat(count(marker)).as("the INSERT reached the server and committed").isEqualTo(1);
    }

    @Test
    void blackholeStopsBothDirectionsButKeepsSocketsOpen() {
        PostgresqlConnection c = connect(proxied);
        proxy.blackhole();
        Throwable error = failure(() -> selectOne(c).timeout(HANG).block(WAIT));
        assertThat(error).isInstanceOf(TimeoutException.class);
        assertThat(proxy.openConnections()).isEqualTo(1);

        proxy.heal();
        assertThat(selectOne(connect(proxied)).block(WAIT)).isEqualTo(1);
    }

    @Test
    void refusedConnectionsFailAndHealRestoresThem() {
        proxy.refuseNewConnections(true);
        Throwable error = failure(() -> Mono.from(proxied.create()).block(WAIT));
        assertThat(ErrorTranslator.isConnectionFailure(error)).as("connection failure: %s", error).isTrue();
        assertThat(FailureClassifier.classify(error, Phase.ACQUIRE)).isEqualTo(Classification.RETRYABLE_CONNECTION);
        assertThat(FailureClassifier.countsAgainstEndpoint(error)).isTrue();
        assertThat(proxy.openConnections()).isZero();

        proxy.heal();
        assertThat(selectOne(connect(proxied)).block(WAIT)).isEqualTo(1);
    }

    @Test
    void closeEndsEveryProxyThread() {
        connect(proxied);
        assertThat(proxyThreads()).hasSize(3); // acceptor and the connection's two pumps
        proxy.close();
        assertThat(proxyThreads()).isEmpty();
    }

    private List<String> proxyThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith(proxy.threadNamePrefix())).collect(Collectors.toList());
    }
}
