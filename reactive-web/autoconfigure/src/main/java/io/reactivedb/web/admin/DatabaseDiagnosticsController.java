package io.reactivedb.web.admin;

import io.reactivedb.diagnostics.Diagnostics;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.web.ApiProblems.BadRequest;
import io.reactivedb.web.ApiProblems.NotFound;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The library's database diagnostics over HTTP, one read-only transaction on the named endpoint
 * each (short statement and lock timeouts, never a lock the application would wait on):
 * {@code GET /api/database/diagnostics/{kind}?endpoint=primary} with {@code kind} one of
 * {@link #KINDS}; {@code pool-advice} takes {@code windowSeconds} (1 to 60, default 5) and covers
 * every endpoint. Governed like the other read-only endpoints ({@code reactive-db.web.read-endpoints}).
 * They run as the router's own login: a role without {@code pg_monitor} sees only its own sessions'
 * statements and no WAL receiver state.
 */
@RestController
@ConditionalOnExpression("!'${reactive-db.web.read-endpoints:authenticated}'.equalsIgnoreCase('off')")
class DatabaseDiagnosticsController {

    static final List<String> KINDS = List.of("top-statements", "index-advice", "table-bloat", "locks", "cache-hit-ratios", "sizes",
            "replication", "pool-advice");
    static final int MAX_WINDOW_SECONDS = 60;

    private final Diagnostics diagnostics;

    DatabaseDiagnosticsController(ReactiveDbRouter router) {
        this.diagnostics = Diagnostics.of(router);
    }

    @GetMapping(AdminPaths.DIAGNOSTICS + "{kind}")
    Mono<?> diagnostic(@PathVariable String kind, @RequestParam(defaultValue = "primary") String endpoint,
                       @RequestParam(defaultValue = "5") int windowSeconds) {
        if (!KINDS.contains(kind)) {
            throw new NotFound("no diagnostic '" + kind + "'; one of " + KINDS);
        }
        if (kind.equals("pool-advice")) {
            if (windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS) {
                throw new BadRequest("windowSeconds", "windowSeconds must be between 1 and " + MAX_WINDOW_SECONDS);
            }
            return diagnostics.poolAdvice(Duration.ofSeconds(windowSeconds));
        }
        Mono<?> result = switch (kind) {
            case "top-statements" -> diagnostics.topStatements(endpoint);
            case "index-advice" -> diagnostics.indexAdvice(endpoint);
            case "table-bloat" -> diagnostics.tableBloat(endpoint);
            case "locks" -> diagnostics.locks(endpoint);
            case "cache-hit-ratios" -> diagnostics.cacheHitRatios(endpoint);
            case "sizes" -> diagnostics.sizes(endpoint);
            default -> diagnostics.replication(endpoint);
        };
        // The router refuses an unknown endpoint name (naming the known ones): the caller's mistake.
        return result.onErrorMap(IllegalArgumentException.class, error -> new BadRequest("endpoint", error.getMessage()));
    }
}
