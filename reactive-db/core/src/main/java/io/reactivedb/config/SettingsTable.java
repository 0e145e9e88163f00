package io.reactivedb.config;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Every setting of reactive-db in one table: environment variable, {@code reactive-db.*} property,
 * parser and check, default, and the unit of a plain number. Every {@code fromEnvironment} reads
 * through these entries, the Spring starter binds its properties by them, and a test holds the
 * README's settings tables to them. Values are trimmed and an empty value counts as unset.
 */
public final class SettingsTable {

    private static final String PREFIX = "reactive-db.";

    // ---- the primary and its login ----

    public static final Setting<String> DATABASE_URL = text("DATABASE_URL", "url", "none (this or `DB_HOST` is required)");
    public static final Setting<String> DB_HOST = text("DB_HOST", "host", "none");
    public static final Setting<Integer> DB_PORT = integer("DB_PORT", "port", "5432", 1, 65535);
    public static final Setting<String> DB_USER = text("DB_USER", "user", "`postgres`");
    public static final Setting<String> DB_NAME = text("DB_NAME", "database", "the user name");
    /** Read verbatim, not trimmed; only an empty value counts as unset. */
    public static final Setting<String> DB_PASSWORD = text("DB_PASSWORD", "password", "none");
    public static final Setting<String> DB_PASSWORD_FILE = text("DB_PASSWORD_FILE", "password-file", "none");

    // ---- replicas ----

    public static final Setting<String> DB_READ_REPLICA_URLS = text("DB_READ_REPLICA_URLS", "read-replica-urls", "none");
    /** The shape of the per-replica weights {@code DB_READ_REPLICA_1_WEIGHT}, ...; the property is a list in replica order. */
    public static final Setting<Integer> DB_READ_REPLICA_WEIGHT = integer("DB_READ_REPLICA_<n>_WEIGHT", "read-replica-weights", "1",
            1, EndpointSettings.MAX_WEIGHT);
    public static final Setting<ReplicaSelection> DB_REPLICA_SELECTION = of("DB_REPLICA_SELECTION", "replica-selection",
            "`weighted-round-robin`", Optional.empty(), SettingsTable::replicaSelection);

    // ---- pools ----

    public static final Setting<Integer> DB_POOL_MIN = integer("DB_POOL_MIN", "pool.min", "1", 0, Integer.MAX_VALUE);
    public static final Setting<Integer> DB_POOL_SIZE = integer("DB_POOL_SIZE", "pool.size", "10", 1, Integer.MAX_VALUE);
    public static final Setting<Integer> DB_MAX_OVERFLOW = integer("DB_MAX_OVERFLOW", "pool.max-overflow", "0", 0, Integer.MAX_VALUE);
    public static final Setting<Duration> DB_POOL_TIMEOUT = positiveDuration("DB_POOL_TIMEOUT", "pool.timeout", "30 s", ChronoUnit.SECONDS);
    public static final Setting<Duration> DB_POOL_RECYCLE = positiveDuration("DB_POOL_RECYCLE", "pool.recycle", "30 min", ChronoUnit.SECONDS);
    public static final Setting<Duration> DB_POOL_MAX_IDLE = positiveDuration("DB_POOL_MAX_IDLE", "pool.max-idle", "10 min", ChronoUnit.SECONDS);
    public static final Setting<String> DB_POOL_VALIDATION_QUERY = text("DB_POOL_VALIDATION_QUERY", "pool.validation-query",
            "none: local socket check");
    public static final Setting<Pooler> DB_POOLER = of("DB_POOLER", "pooler", "`none`", Optional.empty(), Pooler::parse);

    // ---- session ----

    public static final Setting<Duration> DB_CONNECT_TIMEOUT = positiveDuration("DB_CONNECT_TIMEOUT", "session.connect-timeout", "10 s",
            ChronoUnit.SECONDS);
    public static final Setting<Duration> DB_STATEMENT_TIMEOUT = duration("DB_STATEMENT_TIMEOUT", "session.statement-timeout",
            "server default", ChronoUnit.MILLIS);
    public static final Setting<Duration> DB_LOCK_TIMEOUT = duration("DB_LOCK_TIMEOUT", "session.lock-timeout", "server default",
            ChronoUnit.MILLIS);
    public static final Setting<Duration> DB_IDLE_IN_TRANSACTION_TIMEOUT = duration("DB_IDLE_IN_TRANSACTION_TIMEOUT",
            "session.idle-in-transaction-timeout", "server default", ChronoUnit.MILLIS);
    public static final Setting<String> DB_APPLICATION_NAME = text("DB_APPLICATION_NAME", "session.application-name", "`reactive-db`");
    public static final Setting<Integer> DB_MAX_MESSAGE_SIZE = integer("DB_MAX_MESSAGE_SIZE", "session.max-message-size", "64 MiB",
            64 * 1024, Integer.MAX_VALUE);
    public static final Setting<Integer> DB_STATEMENT_CACHE_SIZE = integer("DB_STATEMENT_CACHE_SIZE", "session.statement-cache-size",
            "256; 0 behind `pgbouncer-transaction`", 0, Integer.MAX_VALUE);

    // ---- TLS ----

    public static final Setting<SslMode> DB_SSLMODE = of("DB_SSLMODE", "ssl.mode", "`disable`", Optional.empty(), SslMode::parse);
    public static final Setting<Path> DB_SSLROOTCERT = file("DB_SSLROOTCERT", "ssl.root-cert");
    public static final Setting<Path> DB_SSLCERT = file("DB_SSLCERT", "ssl.cert");
    public static final Setting<Path> DB_SSLKEY = file("DB_SSLKEY", "ssl.key");

    // ---- the other logins; secrets stay in the environment ----

    public static final Setting<String> DB_HEALTH_USER = secret("DB_HEALTH_USER", "the endpoint's user");
    public static final Setting<String> DB_HEALTH_PASSWORD = secret("DB_HEALTH_PASSWORD", "none");
    public static final Setting<String> DB_HEALTH_PASSWORD_FILE = secret("DB_HEALTH_PASSWORD_FILE", "none");
    public static final Setting<String> DB_MIGRATION_USER = secret("DB_MIGRATION_USER", "the primary's user");
    public static final Setting<String> DB_MIGRATION_PASSWORD = secret("DB_MIGRATION_PASSWORD", "none");
    public static final Setting<String> DB_MIGRATION_PASSWORD_FILE = secret("DB_MIGRATION_PASSWORD_FILE", "none");

    // ---- router ----

    public static final Setting<Duration> DB_SHUTDOWN_TIMEOUT = positiveDuration("DB_SHUTDOWN_TIMEOUT", "shutdown-timeout", "30 s",
            ChronoUnit.SECONDS);
    /** Env only: the Spring starter has its own {@code reactive-db.production}, on by default outside dev services. */
    public static final Setting<Boolean> DB_PRODUCTION_MODE = new Setting<>(ProductionChecks.SETTING, Optional.empty(), "`false`",
            Optional.empty(), Checks::bool);
    public static final Setting<Duration> DB_QUERY_TIMEOUT = duration("DB_QUERY_TIMEOUT", "query-timeout", "30 s", ChronoUnit.MILLIS);
    public static final Setting<Duration> DB_SLOW_QUERY_THRESHOLD = positiveDuration("DB_SLOW_QUERY_THRESHOLD", "slow-query-threshold",
            "1 s", ChronoUnit.MILLIS);
    public static final Setting<Duration> DB_LEAK_DETECTION_THRESHOLD = positiveDuration("DB_LEAK_DETECTION_THRESHOLD",
            "leak-detection-threshold", "none: off", ChronoUnit.MILLIS);
    public static final Setting<Boolean> DB_LEAK_DETECTION_STACK_TRACE = of("DB_LEAK_DETECTION_STACK_TRACE",
            "leak-detection-stack-trace", "`false`", Optional.empty(), Checks::bool);
    public static final Setting<Boolean> DB_TRACE_SQL_COMMENT = of("DB_TRACE_SQL_COMMENT", "tracing.sql-comment", "`false`",
            Optional.empty(), Checks::bool);

    // ---- retries and breakers ----

    public static final Setting<Integer> DB_MAX_RETRIES = integer("DB_MAX_RETRIES", "retry.max-retries", "2", 0, Integer.MAX_VALUE);
    public static final Setting<Duration> DB_RETRY_DELAY = duration("DB_RETRY_DELAY", "retry.delay", "100 ms", ChronoUnit.MILLIS);
    public static final Setting<Double> DB_RETRY_BACKOFF = decimal("DB_RETRY_BACKOFF", "retry.backoff", "2.0", 1.0, 1000.0);
    public static final Setting<Duration> DB_RETRY_MAX_DELAY = duration("DB_RETRY_MAX_DELAY", "retry.max-delay", "2 s", ChronoUnit.MILLIS);
    public static final Setting<Duration> DB_RETRY_MAX_TOTAL = positiveDuration("DB_RETRY_MAX_TOTAL", "retry.max-total", "10 s",
            ChronoUnit.MILLIS);
    public static final Setting<Double> DB_CIRCUIT_BREAKER_THRESHOLD = decimal("DB_CIRCUIT_BREAKER_THRESHOLD",
            "circuit-breaker.threshold", "50", 1.0, 100.0);
    public static final Setting<Duration> DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT = positiveDuration("DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT",
            "circuit-breaker.recovery-timeout", "10 s", ChronoUnit.SECONDS);
    public static final Setting<Integer> DB_CIRCUIT_BREAKER_MIN_CALLS = integer("DB_CIRCUIT_BREAKER_MIN_CALLS", "circuit-breaker.min-calls",
            "10", 1, Integer.MAX_VALUE);
    public static final Setting<Integer> DB_CIRCUIT_BREAKER_WINDOW = integer("DB_CIRCUIT_BREAKER_WINDOW", "circuit-breaker.window", "20",
            1, Integer.MAX_VALUE);
    public static final Setting<Duration> DB_CIRCUIT_BREAKER_SLOW_CALL = positiveDuration("DB_CIRCUIT_BREAKER_SLOW_CALL",
            "circuit-breaker.slow-call", "2 s", ChronoUnit.MILLIS);

    // ---- health; the builder checks the ranges ----

    public static final Setting<Duration> DB_HEALTH_INTERVAL = duration("DB_HEALTH_INTERVAL", "health.interval", "5 s", ChronoUnit.MILLIS);
    public static final Setting<Duration> DB_HEALTH_TIMEOUT = duration("DB_HEALTH_TIMEOUT", "health.timeout", "2 s", ChronoUnit.MILLIS);
    public static final Setting<Duration> DB_MAX_REPLICA_LAG = duration("DB_MAX_REPLICA_LAG", "health.max-replica-lag", "10 s",
            ChronoUnit.MILLIS);
    public static final Setting<Long> DB_MAX_REPLICA_LAG_BYTES = new Setting<>("DB_MAX_REPLICA_LAG_BYTES",
            property("health.max-replica-lag-bytes"), "none", Optional.empty(), Checks::wholeNumber);
    public static final Setting<Integer> DB_HEALTH_FAILURES_BEFORE_DOWN = new Setting<>("DB_HEALTH_FAILURES_BEFORE_DOWN",
            property("health.failures-before-down"), "2", Optional.empty(), SettingsTable::wholeInt);
    public static final Setting<Duration> DB_HEALTH_RECHECK_INTERVAL = duration("DB_HEALTH_RECHECK_INTERVAL", "health.recheck-interval",
            "250 ms", ChronoUnit.MILLIS);
    public static final Setting<Duration> DB_STALL_TIMEOUT = duration("DB_STALL_TIMEOUT", "health.stall-timeout", "500 ms",
            ChronoUnit.MILLIS);

    // ---- schema at startup (migrations) ----

    public static final Setting<Boolean> DB_AUTO_MIGRATE = of("DB_AUTO_MIGRATE", "schema.auto-migrate", "`false`", Optional.empty(),
            Checks::bool);
    public static final Setting<Boolean> DB_VALIDATE_SCHEMA_ON_STARTUP = of("DB_VALIDATE_SCHEMA_ON_STARTUP", "schema.validate-on-startup",
            "`true`", Optional.empty(), Checks::bool);

    // ---- backups (ops); the builder checks the ranges ----

    public static final Setting<Path> BACKUP_DIR = of("BACKUP_DIR", "backup.dir", "`backups` (working directory)", Optional.empty(),
            SettingsTable::folder);
    public static final Setting<Integer> BACKUP_RETENTION_DAYS = of("BACKUP_RETENTION_DAYS", "backup.retention-days", "7",
            Optional.of(ChronoUnit.DAYS), SettingsTable::days);
    /** Parsed by the backup module; never quoted in a message. */
    public static final Setting<String> BACKUP_ENCRYPTION_KEY = secret("BACKUP_ENCRYPTION_KEY", "none: not encrypted");
    public static final Setting<Duration> DB_BACKUP_MAX_AGE = duration("DB_BACKUP_MAX_AGE", "backup.max-age", "26 h", ChronoUnit.HOURS);

    // ---- pool advice (ops diagnostics) ----

    /** The largest count the pool advice takes. */
    public static final int MAX_COUNT = 10_000;
    public static final Setting<Integer> DB_INSTANCE_COUNT = count("DB_INSTANCE_COUNT", "1", 1);
    public static final Setting<Integer> DB_SERVER_CORES = count("DB_SERVER_CORES", "this JVM's processor count, marked as assumed", 1);
    public static final Setting<Integer> DB_EFFECTIVE_SPINDLES = count("DB_EFFECTIVE_SPINDLES", "1", 0);

    private static final List<Setting<?>> ALL = List.of(DATABASE_URL, DB_HOST, DB_PORT, DB_USER, DB_NAME, DB_PASSWORD, DB_PASSWORD_FILE,
            DB_READ_REPLICA_URLS, DB_READ_REPLICA_WEIGHT, DB_REPLICA_SELECTION, DB_POOL_MIN, DB_POOL_SIZE, DB_MAX_OVERFLOW,
            DB_POOL_TIMEOUT, DB_POOL_RECYCLE, DB_POOL_MAX_IDLE, DB_POOL_VALIDATION_QUERY, DB_POOLER, DB_CONNECT_TIMEOUT,
            DB_STATEMENT_TIMEOUT, DB_LOCK_TIMEOUT, DB_IDLE_IN_TRANSACTION_TIMEOUT, DB_APPLICATION_NAME, DB_MAX_MESSAGE_SIZE,
            DB_STATEMENT_CACHE_SIZE, DB_SSLMODE, DB_SSLROOTCERT, DB_SSLCERT, DB_SSLKEY, DB_HEALTH_USER, DB_HEALTH_PASSWORD,
            DB_HEALTH_PASSWORD_FILE, DB_MIGRATION_USER, DB_MIGRATION_PASSWORD, DB_MIGRATION_PASSWORD_FILE, DB_SHUTDOWN_TIMEOUT,
            DB_PRODUCTION_MODE, DB_QUERY_TIMEOUT, DB_SLOW_QUERY_THRESHOLD, DB_LEAK_DETECTION_THRESHOLD,
            DB_LEAK_DETECTION_STACK_TRACE, DB_TRACE_SQL_COMMENT, DB_MAX_RETRIES, DB_RETRY_DELAY, DB_RETRY_BACKOFF,
            DB_RETRY_MAX_DELAY, DB_RETRY_MAX_TOTAL, DB_CIRCUIT_BREAKER_THRESHOLD, DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT,
            DB_CIRCUIT_BREAKER_MIN_CALLS, DB_CIRCUIT_BREAKER_WINDOW, DB_CIRCUIT_BREAKER_SLOW_CALL, DB_HEALTH_INTERVAL,
            DB_HEALTH_TIMEOUT, DB_MAX_REPLICA_LAG, DB_MAX_REPLICA_LAG_BYTES, DB_HEALTH_FAILURES_BEFORE_DOWN,
            DB_HEALTH_RECHECK_INTERVAL, DB_STALL_TIMEOUT, DB_AUTO_MIGRATE, DB_VALIDATE_SCHEMA_ON_STARTUP, BACKUP_DIR,
            BACKUP_RETENTION_DAYS, BACKUP_ENCRYPTION_KEY, DB_BACKUP_MAX_AGE, DB_INSTANCE_COUNT, DB_SERVER_CORES,
            DB_EFFECTIVE_SPINDLES);

    private SettingsTable() {
    }

    /** Every setting, in the order of the README. */
    public static List<Setting<?>> all() {
        return ALL;
    }

    /** The setting with environment name {@code env}; empty for other names. */
    public static Optional<Setting<?>> byEnv(String env) {
        return ALL.stream().filter(s -> s.env().equals(env)).findFirst();
    }

    // ---- entry kinds ----

    private static <T> Setting<T> of(String env, String property, String defaultValue, Optional<ChronoUnit> unit, Setting.Parser<T> parser) {
        return new Setting<>(env, property(property), defaultValue, unit, parser);
    }

    private static Optional<String> property(String name) {
        return Optional.of(PREFIX + name);
    }

    private static Setting<String> text(String env, String property, String defaultValue) {
        return of(env, property, defaultValue, Optional.empty(), (name, value) -> value);
    }

    private static Setting<String> secret(String env, String defaultValue) {
        return new Setting<>(env, Optional.empty(), defaultValue, Optional.empty(), (name, value) -> value);
    }

    private static Setting<Integer> integer(String env, String property, String defaultValue, int min, int max) {
        return of(env, property, defaultValue, Optional.empty(), (name, value) -> Checks.integer(name, value, min, max));
    }

    private static Setting<Double> decimal(String env, String property, String defaultValue, double min, double max) {
        return of(env, property, defaultValue, Optional.empty(), (name, value) -> Checks.decimal(name, value, min, max));
    }

    /** A duration, zero allowed (the builder or the reader decides what zero means). */
    private static Setting<Duration> duration(String env, String property, String defaultValue, ChronoUnit unit) {
        return of(env, property, defaultValue, Optional.of(unit), (name, value) -> Durations.parse(name, value, unit));
    }

    private static Setting<Duration> positiveDuration(String env, String property, String defaultValue, ChronoUnit unit) {
        return of(env, property, defaultValue, Optional.of(unit), (name, value) -> Checks.positiveDuration(name, value, unit));
    }

    private static Setting<Path> file(String env, String property) {
        return of(env, property, "none", Optional.empty(), SettingsTable::readableFile);
    }

    private static Setting<Integer> count(String env, String defaultValue, int min) {
        return new Setting<>(env, Optional.empty(), defaultValue, Optional.empty(), (name, value) -> {
            if (!value.matches("\\d{1,5}") || Integer.parseInt(value) < min || Integer.parseInt(value) > MAX_COUNT) {
                throw new ConfigurationException(name, "must be a whole number from " + min + " to " + MAX_COUNT);
            }
            return Integer.parseInt(value);
        });
    }

    // ---- parsers of single settings ----

    private static ReplicaSelection replicaSelection(String name, String value) {
        switch (value.toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "weighted-round-robin":
                return ReplicaSelection.WEIGHTED_ROUND_ROBIN;
            case "least-in-flight":
                return ReplicaSelection.LEAST_IN_FLIGHT;
            default:
                throw new ConfigurationException(name, "must be weighted-round-robin or least-in-flight but was '"
                        + Durations.quote(value) + "'");
        }
    }

    private static Path readableFile(String name, String value) {
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw new ConfigurationException(name, "must be the path of a readable file but was not a valid path: '" + value + "'");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ConfigurationException(name, "must be the path of a readable file but '" + value
                    + "' does not exist, is not a regular file or cannot be read");
        }
        return path;
    }

    private static int wholeInt(String name, String value) {
        long parsed = Checks.wholeNumber(name, value);
        if (parsed != (int) parsed) {
            throw new ConfigurationException(name, "must be an integer but was '" + Durations.quote(value) + "'");
        }
        return (int) parsed;
    }

    private static Path folder(String name, String value) {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new ConfigurationException(name, "must be a folder path but was '" + Durations.quote(value) + "'");
        }
    }

    private static int days(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new ConfigurationException(name, "must be a whole number of days >= 1 but was '" + Durations.quote(value) + "'");
        }
    }
}
