package io.reactivedb.web.admin;

import io.reactivedb.routing.Endpoint;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.web.ApiProblems.BadRequest;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Admin operations, present only with {@code reactive-db.admin.enabled=true}; authenticated
 * ({@link SecurityConfiguration}), rate limited ({@link AdminRateLimitFilter}) and audited
 * ({@link AdminAudit}).
 *
 * <ul>
 *   <li>{@code POST /api/database/reconnect[?endpoint=name]}: drains and rebuilds the pool of one
 *       endpoint, or of all.</li>
 *   <li>{@code POST /api/database/test?endpoint=name}: runs the router's fixed probe on that
 *       endpoint and returns its latency. The statement is fixed: callers never supply SQL.</li>
 * </ul>
 */
@RestController
@ConditionalOnProperty(name = "reactive-db.admin.enabled", havingValue = "true")
class AdminController {

    private final ReactiveDbRouter router;
    private final AdminAudit audit;

    AdminController(ReactiveDbRouter router, AdminAudit audit) {
        this.router = router;
        this.audit = audit;
    }

    @PostMapping(AdminPaths.RECONNECT)
    Mono<Map<String, Object>> reconnect(@RequestParam(required = false) @Nullable String endpoint, ServerWebExchange exchange) {
        List<String> targets = endpoint == null ? router.endpoints().stream().map(Endpoint::name).toList() : List.of(endpoint);
        Mono<Void> work = endpoint == null ? router.reconnectAll() : router.reconnect(endpoint);
        long started = System.nanoTime();
        return audited(exchange, "reconnect", endpoint == null ? "all" : endpoint,
                work.then(Mono.fromSupplier(() -> Map.<String, Object>of("reconnected", targets,
                        "tookMillis", (System.nanoTime() - started) / 1_000_000))));
    }

    @PostMapping(AdminPaths.TEST)
    Mono<Map<String, Object>> test(@RequestParam(required = false) @Nullable String endpoint, ServerWebExchange exchange) {
        if (endpoint == null || endpoint.isBlank()) {
            throw new BadRequest("endpoint", "endpoint is required, one of " + router.endpoints().stream().map(Endpoint::name).toList());
        }
        return audited(exchange, "test", endpoint, router.probe(endpoint)
                .map(latency -> Map.<String, Object>of("endpoint", endpoint, "latencyMillis", latency.toNanos() / 1_000_000.0)));
    }

    private <T> Mono<T> audited(ServerWebExchange exchange, String operation, String target, Mono<T> work) {
        return exchange.getPrincipal().map(Principal::getName).defaultIfEmpty("anonymous").flatMap(user -> work
                .doOnSuccess(done -> audit.record(exchange, user, operation, target, "ok"))
                .doOnError(error -> audit.record(exchange, user, operation, target, "failed: " + error.getClass().getSimpleName())));
    }
}
