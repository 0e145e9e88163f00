package io.reactivedb.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.r2dbc.RouterConnectionFactory;
import io.reactivedb.routing.DbOperation;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import io.reactivedb.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessException;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.transaction.support.DefaultTransactionDefinition;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

@DevClusterTest
class ReactiveDbMetricsIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Probes given a second: on a machine shared with other suites a 250 ms probe times out and takes every endpoint down. */
    private static final HealthSettings HEALTH = HealthSettings.builder().interval(Duration.ofSeconds(1)).probeTimeout(Duration.ofSeconds(1)).build();

    @Test
    void aShortWorkloadShowsEveryMeterWithItsTagsAndShutdownRemovesThem(DevCluster cluster) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ReactiveDbMetrics metrics = new ReactiveDbMetrics(registry);
        ReactiveDbRouter router = ReactiveDbRouter.builder(cluster.settings())
                .health(HEALTH)
                .queryListener(metrics)
                .build();
        metrics.bindTo(router);
        // The first round of a cold cluster on a busy machine may time out and take every endpoint down for a round.
        await(() -> router.health().orElseThrow().current().map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));

        Flux.range(0, 30).concatMap(i -> router.read(s -> s.query("SELECT 1", row -> row.get(0)))
                .contextWrite(DbOperation.named("ping"))).blockLast(WAIT);
        router.write(s -> s.execute("SELECT 1")).blockLast(WAIT);
        router.write(s -> s.execute("SELECT 1/0")).onErrorResume(DbQueryException.class, e -> Mono.empty()).blockLast(WAIT);
        await(() -> router.health().orElseThrow().current().map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));

        long pings = registry.find(ReactiveDbMetrics.QUERY).tag("operation", "ping").tag("outcome", "success").timers().stream()
                .mapToLong(Timer::count).sum();
        assertThat(pings).isEqualTo(30);
        assertThat(registry.find(ReactiveDbMetrics.QUERY).tags("endpoint", "primary", "role", "primary", "operation", "write", "outcome", "success")
                .timer()).isNotNull().extracting(Timer::count).isEqualTo(1L);
        assertThat(registry.find(ReactiveDbMetrics.QUERY).tags("endpoint", "primary", "operation", "write", "outcome", "query").timer())
                .isNotNull().extracting(Timer::count).isEqualTo(1L);
        assertThat(registry.find(ReactiveDbMetrics.QUERY).tag("role", "replica").timers()).isNotEmpty();

        for (String endpoint : new String[] {"primary", "replica-1", "replica-2"}) {
            assertThat(registry.find(ReactiveDbMetrics.POOL_MAX).tag("endpoint", endpoint).gauge().value()).isEqualTo(10.0);
            assertThat(registry.find(ReactiveDbMetrics.POOL_ACQUIRED).tag("endpoint", endpoint).gauge().value()).isZero();
            assertThat(registry.find(ReactiveDbMetrics.POOL_IDLE).tag("endpoint", endpoint).gauge()).isNotNull();
            assertThat(registry.find(ReactiveDbMetrics.POOL_PENDING).tag("endpoint", endpoint).gauge()).isNotNull();
            assertThat(registry.find(ReactiveDbMetrics.POOL_ALLOCATED).tag("endpoint", endpoint).gauge().value()).isPositive();
            assertThat(registry.find(ReactiveDbMetrics.POOL_ACQUIRE_TIMEOUTS).tag("endpoint", endpoint).functionCounter().count()).isZero();
            assertThat(registry.find(ReactiveDbMetrics.ENDPOINT_UP).tag("endpoint", endpoint).gauge().value()).isEqualTo(1.0);
            // No failover here: each endpoint's timer registered at 0, so a dashboard finds it.
            assertThat(registry.find(ReactiveDbMetrics.FAILOVER).tag("endpoint", endpoint).timer()).isNotNull()
                    .extracting(Timer::count).isEqualTo(0L);
        }
        // 32 units (30 reads, 2 writes), at least one acquisition each (a retry takes another): the acquire timers count them all.
        long acquisitions = registry.find(ReactiveDbMetrics.POOL_ACQUIRE).functionTimers().stream()
                .mapToLong(timer -> (long) timer.count()).sum();
        assertThat(acquisitions).isGreaterThanOrEqualTo(32);
        assertThat(registry.find(ReactiveDbMetrics.LAG_SECONDS).tag("endpoint", "replica-1").gauge().value()).isGreaterThanOrEqualTo(0.0);
        assertThat(registry.find(ReactiveDbMetrics.LAG_BYTES).tag("endpoint", "replica-2").gauge().value()).isGreaterThanOrEqualTo(0.0);
        assertThat(registry.find(ReactiveDbMetrics.LAG_BYTES).tag("endpoint", "primary").gauge()).isNull();
        assertThat(registry.find(ReactiveDbMetrics.HEALTH_STATUS).tag("status", "healthy").gauge().value()).isEqualTo(1.0);
        assertThat(registry.find(ReactiveDbMetrics.HEALTH_STATUS).tag("status", "unhealthy").gauge().value()).isZero();

        // Low cardinality: only these tag keys, and no SQL anywhere.
        Set<String> tagKeys = registry.getMeters().stream().flatMap(m -> m.getId().getTags().stream()).map(t -> t.getKey())
                .collect(Collectors.toSet());
        assertThat(tagKeys).containsOnly("endpoint", "role", "operation", "outcome", "status", "classification");
        assertThat(registry.find(ReactiveDbMetrics.BREAKER_OPEN).tag("endpoint", "primary").gauge().value()).isZero();
        assertThat(registry.getMeters()).extracting(Meter::getId).noneMatch(id -> id.toString().contains("SELECT"));

        router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        assertThat(registry.getMeters()).isEmpty();
    }

    /**
     * What a Prometheus scrape shows: every family described, the retries counter from the start,
     * lag for replicas only, and work through {@link RouterConnectionFactory} (Spring's
     * {@code DatabaseClient} and transaction manager, as Spring Data uses them) in the query timer.
     */
    @Test
    void thePrometheusScrapeDescribesEveryFamilyAndShowsRetriesLagAndWorkThroughTheConnectionFactory(DevCluster cluster) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ReactiveDbMetrics metrics = new ReactiveDbMetrics(registry);
        ReactiveDbRouter router = ReactiveDbRouter.builder(cluster.settings())
                .health(HEALTH)
                .queryListener(metrics)
                .build();
        metrics.bindTo(router);
        try {
            // Before any unit of work, so before any retry: the counter is there, at 0.
            List<Sample> retries = samples(registry.scrape(), "reactivedb_retries_total");
            assertThat(retries).as("reactivedb_retries_total before the first retry").isNotEmpty();
            assertThat(retries).allMatch(sample -> sample.value() == 0.0);
            await(() -> router.health().orElseThrow().current().map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));

            RouterConnectionFactory factory = RouterConnectionFactory.of(router);
            DatabaseClient client = DatabaseClient.create(factory);
            // Outside a transaction: the writer, unless the context asks for a read.
            client.sql("SELECT 1").map(row -> row.get(0)).one().block(WAIT);
            client.sql("SELECT 1").map(row -> row.get(0)).one()
                    .contextWrite(RouterConnectionFactory.withConsistency(ReadConsistency.eventual())).block(WAIT);
            client.sql("SELECT 1/0").map(row -> row.get(0)).one().onErrorResume(DataAccessException.class, e -> Mono.empty()).block(WAIT);
            // Transactions as Spring Data's @Transactional runs them: read-only on a replica, others on the writer.
            for (boolean readOnly : new boolean[] {true, false}) {
                DefaultTransactionDefinition definition = new DefaultTransactionDefinition();
                definition.setReadOnly(readOnly);
                TransactionalOperator.create(new R2dbcTransactionManager(factory), definition)
                        .transactional(client.sql("SELECT 2").map(row -> row.get(0)).all().then()).block(WAIT);
            }

            // A reader that stops after its first row: the loan is released with its reply unread.
            client.sql("SELECT generate_series(1, 100000)").map(row -> row.get(0)).all().take(1).blockLast(WAIT);
            await(() -> count(samples(registry.scrape(), "reactivedb_query_seconds_count"), "primary", "primary", "write", "cancelled") == 1);

            String scrape = registry.scrape();
            Matcher type = Pattern.compile("(?m)^# TYPE (reactivedb_\\S+) ").matcher(scrape);
            List<String> families = new ArrayList<>();
            while (type.find()) {
                families.add(type.group(1));
            }
            assertThat(families).contains("reactivedb_query_seconds", "reactivedb_pool_acquired_connections", "reactivedb_retries_total",
                    "reactivedb_replica_lag_bytes", "reactivedb_endpoint_up", "reactivedb_breaker_open");
            assertThat(families).as("families without a HELP text")
                    .filteredOn(family -> !Pattern.compile("(?m)^# HELP " + Pattern.quote(family) + " \\S").matcher(scrape).find())
                    .isEmpty();

            for (String lag : new String[] {"reactivedb_replica_lag_bytes", "reactivedb_replica_lag_seconds"}) {
                assertThat(samples(scrape, lag)).extracting(sample -> sample.labels().get("endpoint"))
                        .containsExactlyInAnyOrder("replica-1", "replica-2");
                assertThat(samples(scrape, lag)).allMatch(sample -> sample.value() >= 0.0);
            }

            List<Sample> queries = samples(scrape, "reactivedb_query_seconds_count");
            // Two writes that succeeded (a statement, a transaction), one that failed, two reads (a statement, a transaction).
            assertThat(count(queries, "primary", "primary", "write", "success")).isEqualTo(2);
            assertThat(count(queries, "primary", "primary", "write", "query")).isEqualTo(1);
            assertThat(count(queries, "replica-1", "replica", "read", "success") + count(queries, "replica-2", "replica", "read", "success"))
                    .isEqualTo(2);
        } finally {
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
        assertThat(registry.getMeters()).isEmpty();
    }

    record Sample(Map<String, String> labels, double value) {
    }

    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** The samples of {@code name} in a Prometheus text scrape. */
    private static List<Sample> samples(String scrape, String name) {
        List<Sample> samples = new ArrayList<>();
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{([^}]*)})? (\\S+)$").matcher(scrape);
        while (line.find()) {
            Map<String, String> labels = new LinkedHashMap<>();
            if (line.group(1) != null) {
                Matcher label = LABEL.matcher(line.group(1));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            samples.add(new Sample(labels, Double.parseDouble(line.group(2))));
        }
        return samples;
    }

    private static long count(List<Sample> samples, String endpoint, String role, String operation, String outcome) {
        return (long) samples.stream()
                .filter(sample -> sample.labels().equals(Map.of("endpoint", endpoint, "role", role, "operation", operation, "outcome", outcome)))
                .mapToDouble(Sample::value).sum();
    }

    private static void await(BooleanSupplier condition) {
        Await.until("the condition", WAIT, condition);
    }
}
