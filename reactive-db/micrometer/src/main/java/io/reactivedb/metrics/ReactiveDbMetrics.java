package io.reactivedb.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.reactivedb.config.EndpointRole;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.resilience.Classification;
import io.reactivedb.routing.Endpoint;
import io.reactivedb.routing.QueryListener;
import io.reactivedb.routing.ReactiveDbRouter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Micrometer meters for one router. Names are dotted, so Prometheus shows them in snake case
 * ({@code reactivedb.query} → {@code reactivedb_query_seconds}). Every tag has a small, fixed set of
 * values: endpoint names, roles, caller-chosen operation names, outcomes; never SQL or parameters.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type, unit</th><th>tags</th></tr>
 *   <tr><td>{@value #QUERY}</td><td>timer: every unit of work of the router, and every loan of
 *       {@code ReactiveDbRouter.borrowForRead}/{@code borrowForWrite} (so every connection use through
 *       {@code RouterConnectionFactory}: Spring's {@code DatabaseClient}, Spring Data R2DBC), operation
 *       {@code read}/{@code write} unless the Context names it</td><td>endpoint, role, operation, outcome</td></tr>
 *   <tr><td>{@value #POOL_ACQUIRED}, {@value #POOL_IDLE}, {@value #POOL_PENDING}, {@value #POOL_ALLOCATED}, {@value #POOL_MAX}</td>
 *       <td>gauge, connections</td><td>endpoint, role</td></tr>
 *   <tr><td>{@value #POOL_ACQUIRE_TIMEOUTS}</td><td>counter</td><td>endpoint, role</td></tr>
 *   <tr><td>{@value #POOL_ACQUIRE}</td><td>function timer (count, total time) of waits that got a connection</td><td>endpoint, role</td></tr>
 *   <tr><td>{@value #LAG_BYTES}</td><td>gauge, bytes; endpoints configured as replicas only</td><td>endpoint, role</td></tr>
 *   <tr><td>{@value #LAG_SECONDS}</td><td>gauge, seconds; endpoints configured as replicas only</td><td>endpoint, role</td></tr>
 *   <tr><td>{@value #ENDPOINT_UP}</td><td>gauge, 1 or 0</td><td>endpoint, role</td></tr>
 *   <tr><td>{@value #HEALTH_STATUS}</td><td>gauge, 1 for the current status, else 0</td><td>status</td></tr>
 *   <tr><td>{@value #RETRIES}</td><td>counter; registered at 0 by {@link #bindTo} for each retryable
 *       classification ({@code retryable_connection}, {@code retryable_transaction})</td><td>classification</td></tr>
 *   <tr><td>{@value #BREAKER_OPEN}</td><td>gauge, 1 while the breaker keeps calls away, else 0</td><td>endpoint, role</td></tr>
 *   <tr><td>{@value #FAILOVER}</td><td>timer: from the first sign the old writer was failing to writes going to the new one;
 *       registered at 0 by {@link #bindTo} for every endpoint (any may become the writer)</td>
 *       <td>endpoint (the new writer)</td></tr>
 * </table>
 *
 * <p>Every meter has a description (Prometheus' {@code HELP}). Lag and up gauges read NaN until the
 * health monitor has probed. The meters are removed when the router shuts down (or on
 * {@link #close()}).
 *
 * <pre>{@code
 * ReactiveDbMetrics metrics = new ReactiveDbMetrics(registry);
 * ReactiveDbRouter router = ReactiveDbRouter.builder(settings).queryListener(metrics).build();
 * metrics.bindTo(router);
 * }</pre>
 */
public final class ReactiveDbMetrics implements QueryListener, AutoCloseable {

    public static final String QUERY = "reactivedb.query";
    public static final String POOL_ACQUIRED = "reactivedb.pool.acquired";
    public static final String POOL_IDLE = "reactivedb.pool.idle";
    public static final String POOL_PENDING = "reactivedb.pool.pending";
    public static final String POOL_ALLOCATED = "reactivedb.pool.allocated";
    public static final String POOL_MAX = "reactivedb.pool.max";
    public static final String POOL_ACQUIRE_TIMEOUTS = "reactivedb.pool.acquire.timeouts";
    public static final String POOL_ACQUIRE = "reactivedb.pool.acquire";
    public static final String LAG_BYTES = "reactivedb.replica.lag.bytes";
    public static final String LAG_SECONDS = "reactivedb.replica.lag.seconds";
    public static final String ENDPOINT_UP = "reactivedb.endpoint.up";
    public static final String HEALTH_STATUS = "reactivedb.health.status";
    public static final String RETRIES = "reactivedb.retries";
    public static final String BREAKER_OPEN = "reactivedb.breaker.open";
    public static final String FAILOVER = "reactivedb.failover";

    /**
     * The query timers of one endpoint, by operation and then outcome. Looked up per unit of work,
     * so the hot path allocates nothing: the endpoint's tag values are computed once, and the
     * lookups use the caller's strings as they are (no key object, no lower-casing per call).
     */
    private final class EndpointTimers {
        final String endpoint;
        final String role;
        final ConcurrentHashMap<String, ConcurrentHashMap<String, Timer>> byOperation = new ConcurrentHashMap<>();

        EndpointTimers(Endpoint endpoint) {
            this.endpoint = endpoint.name();
            this.role = endpoint.role().name().toLowerCase(Locale.ROOT);
        }

        Timer timer(String operation, String outcome) {
            ConcurrentHashMap<String, Timer> byOutcome = byOperation.get(operation);
            if (byOutcome == null) {
                byOutcome = byOperation.computeIfAbsent(operation, key -> new ConcurrentHashMap<>());
            }
            Timer timer = byOutcome.get(outcome);
            if (timer == null) {
                timer = byOutcome.computeIfAbsent(outcome, key -> register(operation, key));
            }
            return timer;
        }

        private Timer register(String operation, String outcome) {
            Timer created = Timer.builder(QUERY)
                    .description("Units of work from subscription to termination")
                    .tags("endpoint", endpoint, "role", role, "operation", operation, "outcome", outcome)
                    .publishPercentileHistogram()
                    .register(registry);
            meters.add(created);
            return created;
        }
    }

    private final MeterRegistry registry;
    private final ConcurrentHashMap<Endpoint, EndpointTimers> timers = new ConcurrentHashMap<>();
    private final List<Meter> meters = new CopyOnWriteArrayList<>();
    private final ConcurrentHashMap<String, Counter> retries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> failovers = new ConcurrentHashMap<>();

    public ReactiveDbMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Registers the gauges, counters and failover timers of {@code router}'s endpoints and health. */
    public ReactiveDbMetrics bindTo(ReactiveDbRouter router) {
        for (Endpoint endpoint : router.endpoints()) {
            Tags tags = tags(endpoint);
            gauge(POOL_ACQUIRED, endpoint, tags, "connections", "Connections lent out by the endpoint's pool",
                    e -> e.poolStatistics().acquired());
            gauge(POOL_IDLE, endpoint, tags, "connections", "Idle connections in the endpoint's pool", e -> e.poolStatistics().idle());
            gauge(POOL_PENDING, endpoint, tags, "connections", "Callers waiting for a connection of the endpoint's pool",
                    e -> e.poolStatistics().pending());
            gauge(POOL_ALLOCATED, endpoint, tags, "connections", "Connections the endpoint's pool holds open, lent or idle",
                    e -> e.poolStatistics().allocated());
            gauge(POOL_MAX, endpoint, tags, "connections", "Most connections the endpoint's pool may hold", e -> e.poolStatistics().max());
            meters.add(FunctionCounter.builder(POOL_ACQUIRE_TIMEOUTS, endpoint, e -> e.poolStatistics().acquireTimeouts())
                    .description("Callers that gave up waiting for a connection").tags(tags).register(registry));
            meters.add(FunctionTimer.builder(POOL_ACQUIRE, endpoint, e -> e.acquireWaits().count(),
                            e -> e.acquireWaits().totalNanos(), TimeUnit.NANOSECONDS)
                    .description("Waits for a pooled connection that got one").tags(tags).register(registry));
            if (endpoint.role() == EndpointRole.REPLICA) {
                // Lag is a replica's: a primary's would only ever read NaN.
                gauge(LAG_BYTES, endpoint, tags, "bytes", "WAL the replica has received but not yet replayed; NaN until probed or when unknown",
                        e -> e.health().map(h -> h.lagBytes().isPresent() ? (double) h.lagBytes().getAsLong() : Double.NaN)
                                .orElse(Double.NaN));
                gauge(LAG_SECONDS, endpoint, tags, "seconds", "Age of the last transaction the replica replayed; NaN until probed or when unknown",
                        e -> e.health().flatMap(EndpointHealth::lagTime).map(d -> d.toNanos() / 1e9).orElse(Double.NaN));
            }
            gauge(ENDPOINT_UP, endpoint, tags, null, "1 when the last health probe reached the endpoint, else 0; NaN until probed",
                    e -> e.health().map(h -> h.reachable() ? 1.0 : 0.0).orElse(Double.NaN));
            router.breakers().ifPresent(breakers -> gauge(BREAKER_OPEN, endpoint, tags, null,
                    "1 while the endpoint's circuit breaker keeps calls away, else 0", e -> breakers.allowsCalls(e.name()) ? 0.0 : 1.0));
            // Any endpoint may become the writer: registered at 0, so a dashboard finds the series before the first failover.
            failover(endpoint.name());
        }
        // Known up front, so registered at 0: a rate over the counter works before the first retry.
        for (Classification classification : Classification.values()) {
            if (classification.isRetryable()) {
                retries(classification.name().toLowerCase(Locale.ROOT));
            }
        }
        router.health().ifPresent(monitor -> {
            for (HealthStatus status : HealthStatus.values()) {
                meters.add(Gauge.builder(HEALTH_STATUS, monitor, m -> m.current().map(HealthSnapshot::status)
                                .map(current -> current == status ? 1.0 : 0.0).orElse(0.0))
                        .description("1 for the router's current health status, 0 for the others")
                        .tag("status", status.name().toLowerCase(Locale.ROOT))
                        .register(registry));
            }
        });
        return this;
    }

    private void gauge(String name, Endpoint endpoint, Tags tags, @Nullable String unit, String description, ToDoubleFunction<Endpoint> value) {
        Gauge.Builder<Endpoint> builder = Gauge.builder(name, endpoint, value).description(description).tags(tags);
        if (unit != null) {
            builder.baseUnit(unit);
        }
        meters.add(builder.register(registry));
    }

    private static Tags tags(Endpoint endpoint) {
        return Tags.of("endpoint", endpoint.name(), "role", endpoint.role().name().toLowerCase(Locale.ROOT));
    }

    @Override
    public void onWork(Endpoint endpoint, String operation, String outcome, long nanos) {
        EndpointTimers perEndpoint = timers.get(endpoint);
        if (perEndpoint == null) {
            perEndpoint = timers.computeIfAbsent(endpoint, EndpointTimers::new);
        }
        perEndpoint.timer(operation, outcome).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onRetry(String classification) {
        retries(classification).increment();
    }

    private Counter retries(String classification) {
        return retries.computeIfAbsent(classification, key -> {
            Counter created = Counter.builder(RETRIES).description("Failed attempts retried with backoff")
                    .tag("classification", key).register(registry);
            meters.add(created);
            return created;
        });
    }

    @Override
    public void onFailover(java.util.Optional<String> from, String to, long unavailableNanos) {
        failover(to).record(unavailableNanos, TimeUnit.NANOSECONDS);
    }

    private Timer failover(String endpoint) {
        return failovers.computeIfAbsent(endpoint, key -> {
            Timer created = Timer.builder(FAILOVER).description("Writer changes: from the first sign the old writer failed to writes reaching the new one")
                    .tag("endpoint", key).register(registry);
            meters.add(created);
            return created;
        });
    }

    @Override
    public void onShutdown() {
        close();
    }

    /** Removes every meter this binder registered. */
    @Override
    public void close() {
        for (Meter meter : meters) {
            registry.remove(meter);
        }
        meters.clear();
        timers.clear();
        retries.clear();
        failovers.clear();
    }
}
