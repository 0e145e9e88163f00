package io.reactivedb.web.health;

import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.health.HealthView;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * The router's health for Actuator ({@code /actuator/health}, and the readiness group): DOWN when
 * UNHEALTHY (no writable primary), UP otherwise, with the router's status, writer and each
 * endpoint's observed role and reachability as details (shown per
 * {@code management.endpoint.health.show-details}). Reads the latest probe round; before the
 * first round completes it waits for it, at most {@code firstRoundWait}.
 */
public final class ReactiveDbHealthIndicator implements ReactiveHealthIndicator {

    private final ReactiveDbRouter router;
    private final Duration firstRoundWait;

    public ReactiveDbHealthIndicator(ReactiveDbRouter router, Duration firstRoundWait) {
        this.router = router;
        this.firstRoundWait = firstRoundWait;
    }

    @Override
    public Mono<Health> health() {
        HealthView monitor = router.health().orElse(null);
        if (monitor == null) {
            return Mono.just(Health.unknown().withDetail("reason", "health monitoring is off").build());
        }
        return monitor.current().map(Mono::just).orElseGet(() -> monitor.snapshot().timeout(firstRoundWait))
                .map(ReactiveDbHealthIndicator::toHealth)
                .onErrorResume(error -> Mono.just(Health.unknown().withDetail("reason", "no probe round completed yet").build()));
    }

    static Health toHealth(HealthSnapshot snapshot) {
        Health.Builder builder = snapshot.status() == HealthStatus.UNHEALTHY ? Health.down() : Health.up();
        builder.withDetail("status", snapshot.status().name());
        snapshot.writer().ifPresent(writer -> builder.withDetail("writer", writer));
        snapshot.endpoints().forEach(e -> builder.withDetail(e.endpoint(),
                e.reachable() ? e.observedRole().name().toLowerCase(java.util.Locale.ROOT) : "unreachable"));
        return builder.build();
    }
}
