package io.reactivedb.web.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code reactive-db.*} properties of the web layer: production mode, dev services, the HTTP
 * surface and the admin user. The library's settings ({@code reactive-db.url},
 * {@code reactive-db.pool.size}, …) are not bound here: {@link PropertySettingSource} reads them
 * by the library's {@code SettingsTable}, and
 * {@code META-INF/additional-spring-configuration-metadata.json} describes them to the IDE.
 */
@ConfigurationProperties("reactive-db")
public class ReactiveDbProperties {

    /**
     * Production mode: weak settings are refused and the admin user needs a configured password.
     * Default: on, except when the embedded dev-services database is used.
     */
    private @Nullable Boolean production;

    private final Schema schema = new Schema();
    private final DevServices devServices = new DevServices();
    private final Web web = new Web();
    private final Admin admin = new Admin();

    /** The schema check at startup; its settings are the library's (DB_AUTO_MIGRATE, DB_VALIDATE_SCHEMA_ON_STARTUP). */
    public static class Schema {
        /** How long the migration status shown in health is reused before it is read again. */
        private Duration statusCacheTime = Duration.ofSeconds(60);

        public Duration getStatusCacheTime() { return statusCacheTime; }
        public void setStatusCacheTime(Duration statusCacheTime) { this.statusCacheTime = statusCacheTime; }
    }

    /** The embedded default: a local primary and replicas from the PostgreSQL binaries. */
    public static class DevServices {
        /** Start the dev-services cluster when no database is configured; when false, a database is required. */
        private boolean enabled = true;
        /** Streaming replicas of the dev-services cluster. */
        private int replicas = 2;
        /**
         * Owner-only (0600) file the embedded cluster's logins are written to (DATABASE_URL, DB_PASSWORD,
         * the migration, health and backup logins), for the command lines; deleted when the cluster
         * stops. Empty: no file.
         */
        private String envFile = "target/dev-cluster.env";

        public String getEnvFile() { return envFile; }
        public void setEnvFile(String envFile) { this.envFile = envFile; }
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
        /**
         * Anonymous GET /actuator/prometheus from a loopback client address (a Prometheus on the same
         * host); other clients as read-endpoints says. Unset: on outside production mode, off in it
         * (behind a reverse proxy on the same host every client would look local).
         */
        private Boolean prometheusLoopbackAnonymous;

        public Boolean getPrometheusLoopbackAnonymous() { return prometheusLoopbackAnonymous; }
        public void setPrometheusLoopbackAnonymous(Boolean prometheusLoopbackAnonymous) { this.prometheusLoopbackAnonymous = prometheusLoopbackAnonymous; }

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
        /**
         * How long a successful credential check is remembered (by a keyed digest, never the
         * password), so that repeated requests do not pay the password hash again; 0s turns it off.
         */
        private Duration verifiedCredentialsTtl = Duration.ofSeconds(30);

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
        public Duration getVerifiedCredentialsTtl() { return verifiedCredentialsTtl; }
        public void setVerifiedCredentialsTtl(Duration verifiedCredentialsTtl) { this.verifiedCredentialsTtl = verifiedCredentialsTtl; }
    }

    public @Nullable Boolean getProduction() { return production; }
    public void setProduction(@Nullable Boolean production) { this.production = production; }
    public Schema getSchema() { return schema; }
    public DevServices getDevServices() { return devServices; }
    public Web getWeb() { return web; }
    public Admin getAdmin() { return admin; }
}
