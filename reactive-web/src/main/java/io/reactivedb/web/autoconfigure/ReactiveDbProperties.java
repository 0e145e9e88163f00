package io.reactivedb.web.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code reactive-db.*} properties. Every database setting mirrors one environment variable
 * the library reads (named in its description); a property that is set wins over its variable.
 * Values are handed to the library's own parser, so durations take its forms ({@code 500ms},
 * {@code 1.5s}, {@code 2m}, ISO-8601 {@code PT30S}; a plain number in the variable's unit) and an
 * invalid value stops the start with a message naming the property and never its value.
 */
@ConfigurationProperties("reactive-db")
public class ReactiveDbProperties {

    /** Primary URL, {@code postgresql://user:pass@host:port/db?sslmode=...} (DATABASE_URL). */
    private @Nullable String url;
    /** Primary host, instead of url (DB_HOST). */
    private @Nullable String host;
    /** Primary port with host (DB_PORT), default 5432. */
    private @Nullable Integer port;
    /** User with host (DB_USER), default postgres. */
    private @Nullable String user;
    /** Database with host (DB_NAME), default the user name. */
    private @Nullable String database;
    /** Password (DB_PASSWORD). Never logged or shown. */
    private @Nullable String password;
    /** File holding the password, re-read for every new connection (DB_PASSWORD_FILE). */
    private @Nullable String passwordFile;
    /** Replica URLs (DB_READ_REPLICA_URLS); replica n is named replica-n. */
    private List<String> readReplicaUrls = new ArrayList<>();
    /** Replica weights in replica order, 1 to 1000 (DB_READ_REPLICA_n_WEIGHT). */
    private List<Integer> readReplicaWeights = new ArrayList<>();
    /** weighted-round-robin or least-in-flight (DB_REPLICA_SELECTION). */
    private @Nullable String replicaSelection;
    /** What sits in front of the servers: none, pgbouncer-session or pgbouncer-transaction (DB_POOLER), default none. */
    private @Nullable String pooler;
    /** How long shutdown waits for in-flight work (DB_SHUTDOWN_TIMEOUT), default 30s. */
    private @Nullable String shutdownTimeout;
    /** Longest unit of work before it is cancelled on the server (DB_QUERY_TIMEOUT), default 30s. */
    private @Nullable String queryTimeout;
    /** Units of work slower than this are logged and kept (DB_SLOW_QUERY_THRESHOLD), default 1s. */
    private @Nullable String slowQueryThreshold;
    /**
     * Production mode: weak settings are refused and the admin user needs a configured password.
     * Default: on, except when the embedded dev-services database is used.
     */
    private @Nullable Boolean production;

    private final Pool pool = new Pool();
    private final Session session = new Session();
    private final Ssl ssl = new Ssl();
    private final Retry retry = new Retry();
    private final CircuitBreaker circuitBreaker = new CircuitBreaker();
    private final Health health = new Health();
    private final Backup backup = new Backup();
    private final Schema schema = new Schema();
    private final DevServices devServices = new DevServices();
    private final Web web = new Web();
    private final Admin admin = new Admin();

    /** Connection pools, one per endpoint. */
    public static class Pool {
        /** Connections opened at warm-up and kept open (DB_POOL_MIN), default 1. */
        private @Nullable Integer min;
        /** Pool size (DB_POOL_SIZE), default 10. */
        private @Nullable Integer size;
        /** Connections above the size (DB_MAX_OVERFLOW), default 0. */
        private @Nullable Integer maxOverflow;
        /** Wait for a free connection (DB_POOL_TIMEOUT), default 30s. */
        private @Nullable String timeout;
        /** Maximum connection lifetime (DB_POOL_RECYCLE), default 30m. */
        private @Nullable String recycle;
        /** Idle connections above the minimum close after (DB_POOL_MAX_IDLE), default 10m. */
        private @Nullable String maxIdle;
        /** SQL run on every acquire (DB_POOL_VALIDATION_QUERY), default none. */
        private @Nullable String validationQuery;

        public @Nullable Integer getMin() { return min; }
        public void setMin(@Nullable Integer min) { this.min = min; }
        public @Nullable Integer getSize() { return size; }
        public void setSize(@Nullable Integer size) { this.size = size; }
        public @Nullable Integer getMaxOverflow() { return maxOverflow; }
        public void setMaxOverflow(@Nullable Integer maxOverflow) { this.maxOverflow = maxOverflow; }
        public @Nullable String getTimeout() { return timeout; }
        public void setTimeout(@Nullable String timeout) { this.timeout = timeout; }
        public @Nullable String getRecycle() { return recycle; }
        public void setRecycle(@Nullable String recycle) { this.recycle = recycle; }
        public @Nullable String getMaxIdle() { return maxIdle; }
        public void setMaxIdle(@Nullable String maxIdle) { this.maxIdle = maxIdle; }
        public @Nullable String getValidationQuery() { return validationQuery; }
        public void setValidationQuery(@Nullable String validationQuery) { this.validationQuery = validationQuery; }
    }

    /** Session defaults sent at connect. */
    public static class Session {
        /** Open and log in (DB_CONNECT_TIMEOUT), default 10s. */
        private @Nullable String connectTimeout;
        /** statement_timeout (DB_STATEMENT_TIMEOUT), default the server's. */
        private @Nullable String statementTimeout;
        /** lock_timeout (DB_LOCK_TIMEOUT), default the server's. */
        private @Nullable String lockTimeout;
        /** idle_in_transaction_session_timeout (DB_IDLE_IN_TRANSACTION_TIMEOUT), default the server's. */
        private @Nullable String idleInTransactionTimeout;
        /** application_name (DB_APPLICATION_NAME), default reactive-db. */
        private @Nullable String applicationName;
        /** Largest server message in bytes (DB_MAX_MESSAGE_SIZE), default 64 MiB. */
        private @Nullable Integer maxMessageSize;
        /** Named prepared statements kept per connection, LRU; 0 = unnamed statements only (DB_STATEMENT_CACHE_SIZE), default 256. */
        private @Nullable Integer statementCacheSize;

        public @Nullable String getConnectTimeout() { return connectTimeout; }
        public void setConnectTimeout(@Nullable String connectTimeout) { this.connectTimeout = connectTimeout; }
        public @Nullable String getStatementTimeout() { return statementTimeout; }
        public void setStatementTimeout(@Nullable String statementTimeout) { this.statementTimeout = statementTimeout; }
        public @Nullable String getLockTimeout() { return lockTimeout; }
        public void setLockTimeout(@Nullable String lockTimeout) { this.lockTimeout = lockTimeout; }
        public @Nullable String getIdleInTransactionTimeout() { return idleInTransactionTimeout; }
        public void setIdleInTransactionTimeout(@Nullable String idleInTransactionTimeout) { this.idleInTransactionTimeout = idleInTransactionTimeout; }
        public @Nullable String getApplicationName() { return applicationName; }
        public void setApplicationName(@Nullable String applicationName) { this.applicationName = applicationName; }
        public @Nullable Integer getMaxMessageSize() { return maxMessageSize; }
        public void setMaxMessageSize(@Nullable Integer maxMessageSize) { this.maxMessageSize = maxMessageSize; }
        public @Nullable Integer getStatementCacheSize() { return statementCacheSize; }
        public void setStatementCacheSize(@Nullable Integer statementCacheSize) { this.statementCacheSize = statementCacheSize; }
    }

    /** TLS toward every endpoint. */
    public static class Ssl {
        /** disable, allow, prefer, require, verify-ca or verify-full (DB_SSLMODE), default disable. */
        private @Nullable String mode;
        /** Root certificate file (DB_SSLROOTCERT). */
        private @Nullable String rootCert;
        /** Client certificate file (DB_SSLCERT), with key. */
        private @Nullable String cert;
        /** Client key file (DB_SSLKEY), with cert. */
        private @Nullable String key;

        public @Nullable String getMode() { return mode; }
        public void setMode(@Nullable String mode) { this.mode = mode; }
        public @Nullable String getRootCert() { return rootCert; }
        public void setRootCert(@Nullable String rootCert) { this.rootCert = rootCert; }
        public @Nullable String getCert() { return cert; }
        public void setCert(@Nullable String cert) { this.cert = cert; }
        public @Nullable String getKey() { return key; }
        public void setKey(@Nullable String key) { this.key = key; }
    }

    /** Retry with backoff of what is safe to retry. */
    public static class Retry {
        /** Retries after the first try (DB_MAX_RETRIES), default 2. */
        private @Nullable Integer maxRetries;
        /** First backoff (DB_RETRY_DELAY), default 100ms. */
        private @Nullable String delay;
        /** Backoff multiplier (DB_RETRY_BACKOFF), default 2.0. */
        private @Nullable String backoff;
        /** Backoff cap (DB_RETRY_MAX_DELAY), default 2s. */
        private @Nullable String maxDelay;
        /** Total retry budget (DB_RETRY_MAX_TOTAL), default 10s. */
        private @Nullable String maxTotal;

        public @Nullable Integer getMaxRetries() { return maxRetries; }
        public void setMaxRetries(@Nullable Integer maxRetries) { this.maxRetries = maxRetries; }
        public @Nullable String getDelay() { return delay; }
        public void setDelay(@Nullable String delay) { this.delay = delay; }
        public @Nullable String getBackoff() { return backoff; }
        public void setBackoff(@Nullable String backoff) { this.backoff = backoff; }
        public @Nullable String getMaxDelay() { return maxDelay; }
        public void setMaxDelay(@Nullable String maxDelay) { this.maxDelay = maxDelay; }
        public @Nullable String getMaxTotal() { return maxTotal; }
        public void setMaxTotal(@Nullable String maxTotal) { this.maxTotal = maxTotal; }
    }

    /** One circuit breaker per endpoint. */
    public static class CircuitBreaker {
        /** Failure rate in percent that opens a breaker (DB_CIRCUIT_BREAKER_THRESHOLD), default 50. */
        private @Nullable Integer threshold;
        /** Wait in the open state (DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT), default 10s. */
        private @Nullable String recoveryTimeout;
        /** Calls before the rate counts (DB_CIRCUIT_BREAKER_MIN_CALLS), default 10. */
        private @Nullable Integer minCalls;
        /** Window size (DB_CIRCUIT_BREAKER_WINDOW), default 20. */
        private @Nullable Integer window;
        /** A call slower than this counts as slow (DB_CIRCUIT_BREAKER_SLOW_CALL), default 2s. */
        private @Nullable String slowCall;

        public @Nullable Integer getThreshold() { return threshold; }
        public void setThreshold(@Nullable Integer threshold) { this.threshold = threshold; }
        public @Nullable String getRecoveryTimeout() { return recoveryTimeout; }
        public void setRecoveryTimeout(@Nullable String recoveryTimeout) { this.recoveryTimeout = recoveryTimeout; }
        public @Nullable Integer getMinCalls() { return minCalls; }
        public void setMinCalls(@Nullable Integer minCalls) { this.minCalls = minCalls; }
        public @Nullable Integer getWindow() { return window; }
        public void setWindow(@Nullable Integer window) { this.window = window; }
        public @Nullable String getSlowCall() { return slowCall; }
        public void setSlowCall(@Nullable String slowCall) { this.slowCall = slowCall; }
    }

    /** Verified backups (the library's {@code backup} package); off unless a directory is set. */
    public static class Backup {
        /** Folder of the backups (BACKUP_DIR); setting it turns backup health on. The key comes from BACKUP_ENCRYPTION_KEY only. */
        private @Nullable String dir;
        /** Days a backup is kept (BACKUP_RETENTION_DAYS), default 7. */
        private @Nullable Integer retentionDays;
        /** Age of the newest verified backup beyond which health is DEGRADED (DB_BACKUP_MAX_AGE), default 26h. */
        private @Nullable String maxAge;

        public @Nullable String getDir() { return dir; }
        public void setDir(@Nullable String dir) { this.dir = dir; }
        public @Nullable Integer getRetentionDays() { return retentionDays; }
        public void setRetentionDays(@Nullable Integer retentionDays) { this.retentionDays = retentionDays; }
        public @Nullable String getMaxAge() { return maxAge; }
        public void setMaxAge(@Nullable String maxAge) { this.maxAge = maxAge; }
    }

    /** Health probes and replica lag. */
    public static class Health {
        /** Probe interval (DB_HEALTH_INTERVAL), default 5s. */
        private @Nullable String interval;
        /** Bound of one probe (DB_HEALTH_TIMEOUT), default 2s. */
        private @Nullable String timeout;
        /** Replicas further behind leave the read rotation (DB_MAX_REPLICA_LAG), default 10s. */
        private @Nullable String maxReplicaLag;
        /** Same in WAL bytes (DB_MAX_REPLICA_LAG_BYTES), default none. */
        private @Nullable Long maxReplicaLagBytes;
        /** Failed probes in a row before an endpoint counts as down (DB_HEALTH_FAILURES_BEFORE_DOWN), default 2. */
        private @Nullable Integer failuresBeforeDown;
        /** First delay of a re-check after a failed probe or without a writer (DB_HEALTH_RECHECK_INTERVAL), default 250ms. */
        private @Nullable String recheckInterval;
        /** No unit finished this long on an endpoint with work queued: it takes no new work (DB_STALL_TIMEOUT), default 500ms. */
        private @Nullable String stallTimeout;

        public @Nullable String getInterval() { return interval; }
        public void setInterval(@Nullable String interval) { this.interval = interval; }
        public @Nullable String getTimeout() { return timeout; }
        public void setTimeout(@Nullable String timeout) { this.timeout = timeout; }
        public @Nullable String getMaxReplicaLag() { return maxReplicaLag; }
        public void setMaxReplicaLag(@Nullable String maxReplicaLag) { this.maxReplicaLag = maxReplicaLag; }
        public @Nullable Long getMaxReplicaLagBytes() { return maxReplicaLagBytes; }
        public void setMaxReplicaLagBytes(@Nullable Long maxReplicaLagBytes) { this.maxReplicaLagBytes = maxReplicaLagBytes; }
        public @Nullable Integer getFailuresBeforeDown() { return failuresBeforeDown; }
        public void setFailuresBeforeDown(@Nullable Integer failuresBeforeDown) { this.failuresBeforeDown = failuresBeforeDown; }
        public @Nullable String getRecheckInterval() { return recheckInterval; }
        public void setRecheckInterval(@Nullable String recheckInterval) { this.recheckInterval = recheckInterval; }
        public @Nullable String getStallTimeout() { return stallTimeout; }
        public void setStallTimeout(@Nullable String stallTimeout) { this.stallTimeout = stallTimeout; }
    }

    /** The schema check at startup (Liquibase, on the primary). */
    public static class Schema {
        /** Apply pending change sets before serving (DB_AUTO_MIGRATE), default false; always on for the embedded database. */
        private @Nullable Boolean autoMigrate;
        /** Refuse to start with pending or changed change sets (DB_VALIDATE_SCHEMA_ON_STARTUP), default true. */
        private @Nullable Boolean validateOnStartup;
        /** How long the migration status shown in health is reused before it is read again. */
        private Duration statusCacheTime = Duration.ofSeconds(60);

        public @Nullable Boolean getAutoMigrate() { return autoMigrate; }
        public void setAutoMigrate(@Nullable Boolean autoMigrate) { this.autoMigrate = autoMigrate; }
        public @Nullable Boolean getValidateOnStartup() { return validateOnStartup; }
        public void setValidateOnStartup(@Nullable Boolean validateOnStartup) { this.validateOnStartup = validateOnStartup; }
        public Duration getStatusCacheTime() { return statusCacheTime; }
        public void setStatusCacheTime(Duration statusCacheTime) { this.statusCacheTime = statusCacheTime; }
    }

    /** The embedded default: a local primary and replicas from the PostgreSQL binaries. */
    public static class DevServices {
        /** Start the dev-services cluster when no database is configured; when false, a database is required. */
        private boolean enabled = true;
        /** Streaming replicas of the dev-services cluster. */
        private int replicas = 2;

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public int getReplicas() { return replicas; }
        public void setReplicas(int replicas) { this.replicas = replicas; }
    }

    /** The HTTP surface: health, stream, read-only diagnostics, CORS, the consistency header. */
    public static class Web {
        /** Who sees endpoint details in /health/database and its stream: always, when-authorized or never. */
        private HealthDetails healthDetails = HealthDetails.WHEN_AUTHORIZED;
        /** Access to /api/database/info, slow-queries, endpoints and /actuator/prometheus: public, authenticated or off. */
        private ReadAccess readEndpoints = ReadAccess.AUTHENTICATED;
        /** Heartbeat comment interval of /health/database/stream. */
        private Duration streamHeartbeat = Duration.ofSeconds(15);
        /** Request and response header carrying the consistency token. */
        private String consistencyHeader = "X-Consistency-Token";
        /** Origins allowed to call the API from a browser; empty (the default) allows none. */
        private List<String> corsAllowedOrigins = new ArrayList<>();

        public HealthDetails getHealthDetails() { return healthDetails; }
        public void setHealthDetails(HealthDetails healthDetails) { this.healthDetails = healthDetails; }
        public ReadAccess getReadEndpoints() { return readEndpoints; }
        public void setReadEndpoints(ReadAccess readEndpoints) { this.readEndpoints = readEndpoints; }
        public Duration getStreamHeartbeat() { return streamHeartbeat; }
        public void setStreamHeartbeat(Duration streamHeartbeat) { this.streamHeartbeat = streamHeartbeat; }
        public String getConsistencyHeader() { return consistencyHeader; }
        public void setConsistencyHeader(String consistencyHeader) { this.consistencyHeader = consistencyHeader; }
        public List<String> getCorsAllowedOrigins() { return corsAllowedOrigins; }
        public void setCorsAllowedOrigins(List<String> corsAllowedOrigins) { this.corsAllowedOrigins = corsAllowedOrigins; }
    }

    /** Who sees health details. */
    public enum HealthDetails { ALWAYS, WHEN_AUTHORIZED, NEVER }

    /** Access to the read-only diagnostic endpoints. */
    public enum ReadAccess { PUBLIC, AUTHENTICATED, OFF }

    /** The admin user and the admin operations (reconnect, test). */
    public static class Admin {
        /** Turns the admin operations and the admin user on; off by default. */
        private boolean enabled;
        /** Admin user name. */
        private String username = "admin";
        /**
         * Admin password, plain or encoded with its id ({bcrypt}...). Required in production mode;
         * otherwise generated and written to password-file when unset.
         */
        private @Nullable String password;
        /** Where a generated admin password is written (owner-only permissions) outside production mode. */
        private String passwordFile = "target/reactive-db-admin.password";
        /** Admin requests allowed per client in each rate-limit period (a burst of this many, then evenly spread). */
        private int rateLimitRequests = 10;
        /** The rate-limit period. */
        private Duration rateLimitPeriod = Duration.ofMinutes(1);

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public String getUsername() { return username; }
        public void setUsername(String username) { this.username = username; }
        public @Nullable String getPassword() { return password; }
        public void setPassword(@Nullable String password) { this.password = password; }
        public String getPasswordFile() { return passwordFile; }
        public void setPasswordFile(String passwordFile) { this.passwordFile = passwordFile; }
        public int getRateLimitRequests() { return rateLimitRequests; }
        public void setRateLimitRequests(int rateLimitRequests) { this.rateLimitRequests = rateLimitRequests; }
        public Duration getRateLimitPeriod() { return rateLimitPeriod; }
        public void setRateLimitPeriod(Duration rateLimitPeriod) { this.rateLimitPeriod = rateLimitPeriod; }
    }

    public @Nullable String getUrl() { return url; }
    public void setUrl(@Nullable String url) { this.url = url; }
    public @Nullable String getHost() { return host; }
    public void setHost(@Nullable String host) { this.host = host; }
    public @Nullable Integer getPort() { return port; }
    public void setPort(@Nullable Integer port) { this.port = port; }
    public @Nullable String getUser() { return user; }
    public void setUser(@Nullable String user) { this.user = user; }
    public @Nullable String getDatabase() { return database; }
    public void setDatabase(@Nullable String database) { this.database = database; }
    public @Nullable String getPassword() { return password; }
    public void setPassword(@Nullable String password) { this.password = password; }
    public @Nullable String getPasswordFile() { return passwordFile; }
    public void setPasswordFile(@Nullable String passwordFile) { this.passwordFile = passwordFile; }
    public List<String> getReadReplicaUrls() { return readReplicaUrls; }
    public void setReadReplicaUrls(List<String> readReplicaUrls) { this.readReplicaUrls = readReplicaUrls; }
    public List<Integer> getReadReplicaWeights() { return readReplicaWeights; }
    public void setReadReplicaWeights(List<Integer> readReplicaWeights) { this.readReplicaWeights = readReplicaWeights; }
    public @Nullable String getPooler() { return pooler; }
    public void setPooler(@Nullable String pooler) { this.pooler = pooler; }
    public @Nullable String getReplicaSelection() { return replicaSelection; }
    public void setReplicaSelection(@Nullable String replicaSelection) { this.replicaSelection = replicaSelection; }
    public @Nullable String getShutdownTimeout() { return shutdownTimeout; }
    public void setShutdownTimeout(@Nullable String shutdownTimeout) { this.shutdownTimeout = shutdownTimeout; }
    public @Nullable String getQueryTimeout() { return queryTimeout; }
    public void setQueryTimeout(@Nullable String queryTimeout) { this.queryTimeout = queryTimeout; }
    public @Nullable String getSlowQueryThreshold() { return slowQueryThreshold; }
    public void setSlowQueryThreshold(@Nullable String slowQueryThreshold) { this.slowQueryThreshold = slowQueryThreshold; }
    public @Nullable Boolean getProduction() { return production; }
    public void setProduction(@Nullable Boolean production) { this.production = production; }
    public Pool getPool() { return pool; }
    public Session getSession() { return session; }
    public Ssl getSsl() { return ssl; }
    public Retry getRetry() { return retry; }
    public CircuitBreaker getCircuitBreaker() { return circuitBreaker; }
    public Health getHealth() { return health; }
    public Backup getBackup() { return backup; }
    public Schema getSchema() { return schema; }
    public DevServices getDevServices() { return devServices; }
    public Web getWeb() { return web; }
    public Admin getAdmin() { return admin; }
}
