package io.reactivedb.web.autoconfigure;

import io.reactivedb.config.ConfigurationException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The library's environment names with the {@code reactive-db.*} properties laid over them: one map
 * that {@code EnvironmentSettings}, {@code ReactiveDbRouter.Builder.fromEnvironment} and
 * {@code SchemaCheck} read, so the library stays the one parser and validator. A property that is
 * set wins over its variable. Errors about a value that came from a property are renamed to the
 * property ({@code reactive-db.pool.size (DB_POOL_SIZE): must be >= 1 but was 0}).
 */
final class DatabaseEnvironment {

    private final Map<String, String> values;
    /** Environment name → the property it came from. */
    private final Map<String, String> origins;

    private DatabaseEnvironment(Map<String, String> values, Map<String, String> origins) {
        this.values = Collections.unmodifiableMap(values);
        this.origins = Collections.unmodifiableMap(origins);
    }

    static DatabaseEnvironment of(ReactiveDbProperties p, Map<String, String> env) {
        Builder b = new Builder(env);
        b.put("DATABASE_URL", "reactive-db.url", p.getUrl());
        b.put("DB_HOST", "reactive-db.host", p.getHost());
        b.put("DB_PORT", "reactive-db.port", p.getPort());
        b.put("DB_USER", "reactive-db.user", p.getUser());
        b.put("DB_NAME", "reactive-db.database", p.getDatabase());
        b.put("DB_PASSWORD", "reactive-db.password", p.getPassword());
        b.put("DB_PASSWORD_FILE", "reactive-db.password-file", p.getPasswordFile());
        if (!p.getReadReplicaUrls().isEmpty()) {
            b.put("DB_READ_REPLICA_URLS", "reactive-db.read-replica-urls", String.join(",", p.getReadReplicaUrls()));
        }
        List<Integer> weights = p.getReadReplicaWeights();
        for (int i = 0; i < weights.size(); i++) {
            b.put("DB_READ_REPLICA_" + (i + 1) + "_WEIGHT", "reactive-db.read-replica-weights[" + i + "]", weights.get(i));
        }
        b.put("DB_REPLICA_SELECTION", "reactive-db.replica-selection", p.getReplicaSelection());
        b.put("DB_POOLER", "reactive-db.pooler", p.getPooler());
        b.put("DB_SHUTDOWN_TIMEOUT", "reactive-db.shutdown-timeout", p.getShutdownTimeout());
        b.put("DB_QUERY_TIMEOUT", "reactive-db.query-timeout", p.getQueryTimeout());
        b.put("DB_SLOW_QUERY_THRESHOLD", "reactive-db.slow-query-threshold", p.getSlowQueryThreshold());

        ReactiveDbProperties.Pool pool = p.getPool();
        b.put("DB_POOL_MIN", "reactive-db.pool.min", pool.getMin());
        b.put("DB_POOL_SIZE", "reactive-db.pool.size", pool.getSize());
        b.put("DB_MAX_OVERFLOW", "reactive-db.pool.max-overflow", pool.getMaxOverflow());
        b.put("DB_POOL_TIMEOUT", "reactive-db.pool.timeout", pool.getTimeout());
        b.put("DB_POOL_RECYCLE", "reactive-db.pool.recycle", pool.getRecycle());
        b.put("DB_POOL_MAX_IDLE", "reactive-db.pool.max-idle", pool.getMaxIdle());
        b.put("DB_POOL_VALIDATION_QUERY", "reactive-db.pool.validation-query", pool.getValidationQuery());

        ReactiveDbProperties.Session session = p.getSession();
        b.put("DB_CONNECT_TIMEOUT", "reactive-db.session.connect-timeout", session.getConnectTimeout());
        b.put("DB_STATEMENT_TIMEOUT", "reactive-db.session.statement-timeout", session.getStatementTimeout());
        b.put("DB_LOCK_TIMEOUT", "reactive-db.session.lock-timeout", session.getLockTimeout());
        b.put("DB_IDLE_IN_TRANSACTION_TIMEOUT", "reactive-db.session.idle-in-transaction-timeout", session.getIdleInTransactionTimeout());
        b.put("DB_APPLICATION_NAME", "reactive-db.session.application-name", session.getApplicationName());
        b.put("DB_MAX_MESSAGE_SIZE", "reactive-db.session.max-message-size", session.getMaxMessageSize());
        b.put("DB_STATEMENT_CACHE_SIZE", "reactive-db.session.statement-cache-size", session.getStatementCacheSize());

        ReactiveDbProperties.Ssl ssl = p.getSsl();
        b.put("DB_SSLMODE", "reactive-db.ssl.mode", ssl.getMode());
        b.put("DB_SSLROOTCERT", "reactive-db.ssl.root-cert", ssl.getRootCert());
        b.put("DB_SSLCERT", "reactive-db.ssl.cert", ssl.getCert());
        b.put("DB_SSLKEY", "reactive-db.ssl.key", ssl.getKey());

        ReactiveDbProperties.Retry retry = p.getRetry();
        b.put("DB_MAX_RETRIES", "reactive-db.retry.max-retries", retry.getMaxRetries());
        b.put("DB_RETRY_DELAY", "reactive-db.retry.delay", retry.getDelay());
        b.put("DB_RETRY_BACKOFF", "reactive-db.retry.backoff", retry.getBackoff());
        b.put("DB_RETRY_MAX_DELAY", "reactive-db.retry.max-delay", retry.getMaxDelay());
        b.put("DB_RETRY_MAX_TOTAL", "reactive-db.retry.max-total", retry.getMaxTotal());

        ReactiveDbProperties.CircuitBreaker breaker = p.getCircuitBreaker();
        b.put("DB_CIRCUIT_BREAKER_THRESHOLD", "reactive-db.circuit-breaker.threshold", breaker.getThreshold());
        b.put("DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "reactive-db.circuit-breaker.recovery-timeout", breaker.getRecoveryTimeout());
        b.put("DB_CIRCUIT_BREAKER_MIN_CALLS", "reactive-db.circuit-breaker.min-calls", breaker.getMinCalls());
        b.put("DB_CIRCUIT_BREAKER_WINDOW", "reactive-db.circuit-breaker.window", breaker.getWindow());
        b.put("DB_CIRCUIT_BREAKER_SLOW_CALL", "reactive-db.circuit-breaker.slow-call", breaker.getSlowCall());

        ReactiveDbProperties.Health health = p.getHealth();
        b.put("DB_HEALTH_INTERVAL", "reactive-db.health.interval", health.getInterval());
        b.put("DB_HEALTH_TIMEOUT", "reactive-db.health.timeout", health.getTimeout());
        b.put("DB_MAX_REPLICA_LAG", "reactive-db.health.max-replica-lag", health.getMaxReplicaLag());
        b.put("DB_MAX_REPLICA_LAG_BYTES", "reactive-db.health.max-replica-lag-bytes", health.getMaxReplicaLagBytes());
        b.put("DB_HEALTH_FAILURES_BEFORE_DOWN", "reactive-db.health.failures-before-down", health.getFailuresBeforeDown());
        b.put("DB_HEALTH_RECHECK_INTERVAL", "reactive-db.health.recheck-interval", health.getRecheckInterval());
        b.put("DB_STALL_TIMEOUT", "reactive-db.health.stall-timeout", health.getStallTimeout());

        ReactiveDbProperties.Backup backup = p.getBackup();
        b.put("BACKUP_DIR", "reactive-db.backup.dir", backup.getDir());
        b.put("BACKUP_RETENTION_DAYS", "reactive-db.backup.retention-days", backup.getRetentionDays());
        b.put("DB_BACKUP_MAX_AGE", "reactive-db.backup.max-age", backup.getMaxAge());

        ReactiveDbProperties.Schema schema = p.getSchema();
        b.put("DB_AUTO_MIGRATE", "reactive-db.schema.auto-migrate", schema.getAutoMigrate());
        b.put("DB_VALIDATE_SCHEMA_ON_STARTUP", "reactive-db.schema.validate-on-startup", schema.getValidateOnStartup());
        return new DatabaseEnvironment(b.values, b.origins);
    }

    /** The merged names and values; holds the password: never log it. */
    Map<String, String> values() {
        return values;
    }

    /** Whether backups are configured ({@code BACKUP_DIR}, from either source). */
    boolean hasBackups() {
        return isSet("BACKUP_DIR");
    }

    /** Whether a primary is configured ({@code DATABASE_URL} or {@code DB_HOST}, from either source). */
    boolean hasDatabase() {
        return isSet("DATABASE_URL") || isSet("DB_HOST");
    }

    private boolean isSet(String name) {
        String value = values.get(name);
        return value != null && !value.isBlank();
    }

    /** Runs {@code parse}, renaming a {@link ConfigurationException} about a property-supplied value to the property. */
    <T> T parse(Supplier<T> parse) {
        try {
            return parse.get();
        } catch (ConfigurationException e) {
            throw rename(e);
        }
    }

    ConfigurationException rename(ConfigurationException e) {
        String setting = e.setting();
        int bracket = setting.indexOf('[');
        String name = bracket < 0 ? setting : setting.substring(0, bracket);
        @Nullable String property = origins.get(name);
        if (property == null) {
            return e;
        }
        String prefix = setting + ": ";
        String message = e.getMessage() != null && e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : String.valueOf(e.getMessage());
        return new ConfigurationException(property + (bracket < 0 ? "" : setting.substring(bracket)) + " (" + setting + ")", message, e);
    }

    private static final class Builder {
        private final Map<String, String> values;
        private final Map<String, String> origins = new LinkedHashMap<>();

        Builder(Map<String, String> env) {
            this.values = new LinkedHashMap<>(env);
        }

        void put(String name, String property, @Nullable Object value) {
            if (value == null) {
                return;
            }
            values.put(name, value.toString());
            origins.put(name, property);
        }
    }
}
