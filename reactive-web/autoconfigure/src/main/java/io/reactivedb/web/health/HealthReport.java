package io.reactivedb.web.health;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.migrations.ChangeSetRef;
import io.reactivedb.migrations.MigrationStatus;
import io.reactivedb.pool.PoolStatistics;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.web.autoconfigure.QueryStatistics;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The JSON body of {@code GET /health/database} and of the stream's snapshot events. Built from
 * the health snapshot, the router's breakers, the query meters and the migration status; it holds
 * names, roles, numbers and server messages, never settings (so never a password).
 *
 * @param endpoints  empty when details are hidden
 * @param queries    null when details are hidden
 * @param migrations null when details are hidden
 * @param components the registered health components (backups), null when details are hidden
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HealthReport(String status, @Nullable Instant at, @Nullable String writer, @Nullable Boolean splitBrain,
                           @Nullable List<EndpointReport> endpoints, QueryStatistics.@Nullable Snapshot queries,
                           @Nullable MigrationReport migrations, @Nullable Map<String, ComponentReport> components) {

    /** A health component (such as {@code backup}): its status and what it reported. */
    public record ComponentReport(String status, Map<String, Object> details) {
    }

    /** One endpoint: its role, server version, latency, lag, pool statistics and breaker state. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EndpointReport(String name, String configuredRole, String observedRole, boolean reachable, double latencyMillis,
                                 @Nullable String serverVersion, @Nullable Long lagBytes, @Nullable Double lagMillis, boolean lagging,
                                 boolean inRotation, boolean writable, PoolStatistics pool, @Nullable String breaker,
                                 Instant checkedAt, @Nullable String error) {
    }

    /** Where the schema stands; {@code error} instead when it could not be read. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MigrationReport(@Nullable String currentVersion, @Nullable Integer applied, @Nullable List<String> pending,
                                  @Nullable Instant lastApplied, @Nullable Boolean upToDate, @Nullable String error) {

        static MigrationReport of(MigrationStatus status) {
            return new MigrationReport(status.currentVersion().orElse(null), status.applied(),
                    status.pending().stream().map(ChangeSetRef::shortName).toList(), status.lastApplied().orElse(null),
                    status.upToDate(), null);
        }

        static MigrationReport failed(Throwable error) {
            return new MigrationReport(null, null, null, null, null, "migration status unavailable: " + error.getClass().getSimpleName());
        }
    }

    /** Status only: what anonymous callers see unless details are public. */
    static HealthReport statusOnly(HealthSnapshot snapshot) {
        return new HealthReport(snapshot.status().name(), null, null, null, null, null, null, null);
    }

    static HealthReport detailed(HealthSnapshot snapshot, ReactiveDbRouter router, QueryStatistics.Snapshot queries,
                                 @Nullable MigrationReport migrations) {
        List<EndpointReport> endpoints = snapshot.endpoints().stream().map(e -> endpoint(e, router)).toList();
        Map<String, ComponentReport> components = new LinkedHashMap<>();
        snapshot.components().forEach((name, health) -> components.put(name,
                new ComponentReport(health.status().name(), health.details())));
        return new HealthReport(snapshot.status().name(), snapshot.at(), snapshot.writer().orElse(null), snapshot.splitBrain(),
                endpoints, queries, migrations, components);
    }

    private static EndpointReport endpoint(EndpointHealth e, ReactiveDbRouter router) {
        String breaker = router.breakers().map(b -> b.state(e.endpoint()).name()).orElse(null);
        PoolStatistics pool = router.endpoint(e.endpoint()).map(endpoint -> endpoint.poolStatistics()).orElse(e.pool());
        return new EndpointReport(e.endpoint(), lower(e.configuredRole().name()), lower(e.observedRole().name()), e.reachable(),
                millis(e.latency()), e.serverVersion().orElse(null), e.lagBytes().isPresent() ? e.lagBytes().getAsLong() : null,
                e.lagTime().map(HealthReport::millis).orElse(null), e.lagging(), e.inRotation(), e.writable(), pool, breaker,
                e.checkedAt(), e.error().orElse(null));
    }

    private static double millis(Duration duration) {
        return duration.toNanos() / 1_000_000.0;
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
