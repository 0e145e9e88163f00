package io.reactivedb.web.health;

import io.reactivedb.health.HealthSnapshot;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.health.HealthView;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.web.autoconfigure.MigrationStatusCache;
import io.reactivedb.web.autoconfigure.QueryStatistics;
import io.reactivedb.web.autoconfigure.ReactiveDbProperties;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * {@code GET /health/database}: the latest health snapshot, 200 for HEALTHY and DEGRADED, 503 for
 * UNHEALTHY; {@code GET /health/database/stream}: the same as server-sent events, then every
 * change. Details (endpoints, query counters, migrations) per {@link HealthAccess}.
 */
@RestController
public class DatabaseHealthController {

    /** How long a request waits for the first probe round right after startup. */
    static final Duration FIRST_ROUND_WAIT = Duration.ofSeconds(10);

    private final ReactiveDbRouter router;
    private final QueryStatistics queries;
    private final MigrationStatusCache migrations;
    private final HealthAccess access;
    private final Duration heartbeat;
    private final Scheduler scheduler;

    public DatabaseHealthController(ReactiveDbRouter router, QueryStatistics queries, MigrationStatusCache migrations, HealthAccess access,
                                    ReactiveDbProperties properties, @Qualifier("reactiveDbWebScheduler") Scheduler scheduler) {
        this.router = router;
        this.queries = queries;
        this.migrations = migrations;
        this.access = access;
        this.heartbeat = properties.getWeb().getStreamHeartbeat();
        this.scheduler = scheduler;
    }

    @GetMapping(path = "/health/database", produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<HealthReport>> health(ServerWebExchange exchange) {
        return Mono.zip(monitor().snapshot().timeout(FIRST_ROUND_WAIT, scheduler), access.showDetails(exchange))
                .flatMap(both -> report(both.getT1(), both.getT2()).map(report -> ResponseEntity
                        .status(both.getT1().status() == HealthStatus.UNHEALTHY ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK)
                        .body(report)));
    }

    @GetMapping(path = "/health/database/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    Flux<ServerSentEvent<Object>> stream(ServerWebExchange exchange) {
        return access.showDetails(exchange).flatMapMany(details -> HealthStream.of(monitor().events(),
                snapshot -> report(snapshot.snapshot(), details).map(report -> (Object) report), details, heartbeat, scheduler));
    }

    private HealthView monitor() {
        return router.health().orElseThrow(() -> new IllegalStateException("health monitoring is off for this router"));
    }

    private Mono<HealthReport> report(HealthSnapshot snapshot, boolean details) {
        if (!details) {
            return Mono.just(HealthReport.statusOnly(snapshot));
        }
        return migrations.status().map(HealthReport.MigrationReport::of)
                .onErrorResume(error -> Mono.just(HealthReport.MigrationReport.failed(error)))
                .map(migration -> HealthReport.detailed(snapshot, router, queries.snapshot(), migration));
    }
}
