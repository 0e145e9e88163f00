package io.reactivedb.web;

import io.reactivedb.routing.ReactiveDbRouter;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code GET /api/database/ping}: which server answered a read and which a write (public, for a first look). */
@RestController
@RequestMapping("/api/database")
class DatabaseController {

    private final ReactiveDbRouter router;

    DatabaseController(ReactiveDbRouter router) {
        this.router = router;
    }

    record Where(String endpoint, int serverPort, boolean inRecovery) {
    }

    record Ping(Where read, Where write) {
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
