package io.reactivedb.web;

import io.reactivedb.pool.PoolStatistics;
import io.reactivedb.routing.ReactiveDbRouter;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** A first look at the router over HTTP. The full health and admin API comes with the web issue. */
@RestController
@RequestMapping("/api/database")
class DatabaseController {

    private final ReactiveDbRouter router;

    DatabaseController(ReactiveDbRouter router) {
        this.router = router;
    }

    record EndpointView(String name, String role, boolean inRotation, int inFlight, PoolStatistics pool) {
    }

    record Where(String endpoint, int serverPort, boolean inRecovery) {
    }

    record Ping(Where read, Where write) {
    }

    @GetMapping("/endpoints")
    List<EndpointView> endpoints() {
        return router.endpoints().stream()
                .map(e -> new EndpointView(e.name(), e.role().name(), e.isInRotation(), e.inFlight(), e.poolStatistics()))
                .toList();
    }

    /** Runs one read and one write and says which server answered each. */
    @GetMapping("/ping")
    Mono<Ping> ping() {
        String sql = "SELECT inet_server_port(), pg_is_in_recovery()";
        Mono<Where> read = router.read(s -> s.query(sql, row -> new Where(s.endpoint(), row.get(0, Integer.class), row.get(1, Boolean.class)))).single();
        Mono<Where> write = router.write(s -> s.query(sql, row -> new Where(s.endpoint(), row.get(0, Integer.class), row.get(1, Boolean.class)))).single();
        return Mono.zip(read, write, Ping::new);
    }
}
