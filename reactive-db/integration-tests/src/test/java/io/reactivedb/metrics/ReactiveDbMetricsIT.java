package io.reactivedb.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.routing.DbOperation;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import java.util.Set;
import io.reactivedb.testing.Await;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

@DevClusterTest
class ReactiveDbMetricsIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aShortWorkloadShowsEveryMeterWithItsTagsAndShutdownRemovesThem(DevCluster cluster) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ReactiveDbMetrics metrics = new ReactiveDbMetrics(registry);
        ReactiveDbRouter router = ReactiveDbRouter.builder(cluster.settings())
                .health(HealthSettings.builder().interval(Duration.ofMillis(300)).probeTimeout(Duration.ofMillis(250)).build())
                .queryListener(metrics)
                .build();
        metrics.bindTo(router);

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
        }
        // 32 units (30 reads, 2 writes), at least one acquisition each (a retry takes another): the acquire timers count them all.
        long acquisitions = registry.find(ReactiveDbMetrics.POOL_ACQUIRE).functionTimers().stream()
                .mapToLong(timer -> (long) timer.count()).sum();
        assertThat(acquisitions).isGreaterThanOrEqualTo(32);
        assertThat(registry.find(ReactiveDbMetrics.LAG_SECONDS).tag("endpoint", "replica-1").gauge().value()).isGreaterThanOrEqualTo(0.0);
        assertThat(registry.find(ReactiveDbMetrics.LAG_BYTES).tag("endpoint", "replica-2").gauge().value()).isGreaterThanOrEqualTo(0.0);
        assertThat(registry.find(ReactiveDbMetrics.LAG_BYTES).tag("endpoint", "primary").gauge().value()).isNaN();
        assertThat(registry.find(ReactiveDbMetrics.HEALTH_STATUS).tag("status", "healthy").gauge().value()).isEqualTo(1.0);
        assertThat(registry.find(ReactiveDbMetrics.HEALTH_STATUS).tag("status", "unhealthy").gauge().value()).isZero();

        // Low cardinality: only these tag keys, and no SQL anywhere.
        Set<String> tagKeys = registry.getMeters().stream().flatMap(m -> m.getId().getTags().stream()).map(t -> t.getKey())
                .collect(Collectors.toSet());
        assertThat(tagKeys).containsOnly("endpoint", "role", "operation", "outcome", "status");
        assertThat(registry.find(ReactiveDbMetrics.BREAKER_OPEN).tag("endpoint", "primary").gauge().value()).isZero();
        assertThat(registry.getMeters()).extracting(Meter::getId).noneMatch(id -> id.toString().contains("SELECT"));

        router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        assertThat(registry.getMeters()).isEmpty();
    }

    private static void await(BooleanSupplier condition) {
        Await.until("the condition", WAIT, condition);
    }
}
