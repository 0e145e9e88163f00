package io.reactivedb.web.admin;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.pool.PoolStatistics;
import io.reactivedb.resilience.SlowQuery;
import io.reactivedb.resilience.SlowQueryLog;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.web.autoconfigure.ReactiveDbAutoConfiguration.ResolvedDatabase;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Read-only diagnostics: the configuration in force (secrets redacted), the recent slow queries
 * and the pools. Absent when {@code reactive-db.web.read-endpoints} is {@code off}.
 */
@RestController
@ConditionalOnExpression("!'${reactive-db.web.read-endpoints:authenticated}'.equalsIgnoreCase('off')")
class DiagnosticsController {

    /** What a set secret shows as. */
    static final String REDACTED = "******";

    private final ReactiveDbRouter router;
    private final ResolvedDatabase database;

    DiagnosticsController(ReactiveDbRouter router, ResolvedDatabase database) {
        this.router = router;
        this.database = database;
    }

    record EndpointView(String name, String role, boolean inRotation, int inFlight, PoolStatistics pool) {
    }

    record SlowQueryView(Instant at, String endpoint, String operation, String sql, long durationMillis, String outcome) {
    }

    @GetMapping(AdminPaths.ENDPOINTS)
    List<EndpointView> endpoints() {
        return router.endpoints().stream()
                .map(e -> new EndpointView(e.name(), e.role().name(), e.isInRotation(), e.inFlight(), e.poolStatistics()))
                .toList();
    }

    @GetMapping(AdminPaths.SLOW_QUERIES)
    Map<String, Object> slowQueries() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("thresholdMillis", router.slowQueries().map(log -> log.threshold().toMillis()).orElse(null));
        body.put("queries", router.slowQueries().map(SlowQueryLog::recent).orElse(List.of()).stream().map(DiagnosticsController::view).toList());
        return body;
    }

    private static SlowQueryView view(SlowQuery q) {
        return new SlowQueryView(q.at(), q.endpoint(), q.operation(), q.sql(), q.duration().toMillis(), q.outcome());
    }

    /** The settings in force, field by field: a password shows as {@value #REDACTED} when set, never its value. */
    @GetMapping(AdminPaths.INFO)
    Map<String, Object> info() {
        ReactiveDbSettings settings = database.settings();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("embedded", database.embedded());
        body.put("production", database.production());
        body.put("primary", endpoint(settings.primary()));
        body.put("replicas", settings.replicas().stream().map(DiagnosticsController::endpoint).toList());
        body.put("replicaSelection", settings.replicaSelection().name());
        body.put("shutdownTimeout", settings.shutdownTimeout().toString());
        body.put("pool", pool(settings.pool()));
        body.put("session", session(settings.session()));
        body.put("slowQueryThreshold", router.slowQueries().map(log -> log.threshold().toString()).orElse(null));
        body.put("healthMonitored", router.isHealthMonitored());
        body.put("circuitBreakers", router.breakers().isPresent());
        return body;
    }

    private static Map<String, Object> endpoint(EndpointSettings e) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", e.name());
        view.put("role", e.role().name());
        view.put("host", e.host());
        view.put("port", e.port());
        view.put("database", e.database());
        view.put("username", e.username());
        view.put("password", e.password().isEmpty() ? null : REDACTED);
        view.put("weight", e.weight());
        view.put("sslMode", e.tls().mode().name());
        view.put("sslRootCert", e.tls().rootCert().map(Path::toString).orElse(null));
        view.put("sslCert", e.tls().cert().map(Path::toString).orElse(null));
        view.put("sslKey", e.tls().key().map(Path::toString).orElse(null));
        return view;
    }

    private static Map<String, Object> pool(PoolSettings p) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("minIdle", p.minIdle());
        view.put("maxSize", p.maxSize());
        view.put("acquireTimeout", p.acquireTimeout().toString());
        view.put("maxLifetime", p.maxLifetime().toString());
        view.put("maxIdleTime", p.maxIdleTime().toString());
        view.put("validationQuery", p.validationQuery().orElse(null));
        view.put("validationTimeout", p.validationTimeout().toString());
        return view;
    }

    private static Map<String, Object> session(SessionSettings s) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("applicationName", s.applicationName());
        view.put("connectTimeout", s.connectTimeout().toString());
        view.put("statementTimeout", s.statementTimeout().map(Object::toString).orElse(null));
        view.put("lockTimeout", s.lockTimeout().map(Object::toString).orElse(null));
        view.put("idleInTransactionTimeout", s.idleInTransactionTimeout().map(Object::toString).orElse(null));
        view.put("maxMessageSize", s.maxMessageSize());
        view.put("statementCacheSize", s.statementCacheSize());
        view.put("pooler", s.pooler().settingValue());
        return view;
    }
}
