package io.reactivedb.devservices;

import io.reactivedb.tools.PostgresBinaries;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.Pooler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How {@link DevCluster#start(DevClusterOptions)} builds a local cluster. Immutable; every builder
 * setter checks its argument and fails with a {@link ConfigurationException} naming the option.
 *
 * <p>Defaults: {@value #DEFAULT_REPLICAS} replicas, binaries found by {@link PostgresBinaries},
 * data under {@value #DEFAULT_BASE_DIR} (relative to the working directory, made absolute),
 * database {@value #DEFAULT_DATABASE}, application user {@value #DEFAULT_APP_USER}, migration user
 * {@value #DEFAULT_MIGRATION_USER}, health user {@value #DEFAULT_HEALTH_USER}, start timeout 60 s, no
 * extra {@code postgresql.conf} settings, no TLS, no PgBouncer, a JVM shutdown hook that stops the cluster,
 * provider {@code auto} and image {@value #DEFAULT_CONTAINER_IMAGE} when containers run it.
 */
public final class DevClusterOptions {

    /** Default number of streaming replicas: 2. */
    public static final int DEFAULT_REPLICAS = 2;
    /**
     * Largest number of replicas: 8. The primary allows 10 WAL senders and a base backup uses two
     * of them while it runs.
     */
    public static final int MAX_REPLICAS = 8;
    /** Default parent folder of cluster folders, relative to the working directory. */
    public static final String DEFAULT_BASE_DIR = "target/reactive-db-devservices";
    /** Default database, owned by the application user. */
    public static final String DEFAULT_DATABASE = "app";
    /** Default application user (LOGIN, not superuser, data manipulation only). */
    public static final String DEFAULT_APP_USER = "app";
    /** Default migration user, owner of the database's {@code public} schema and of what migrations create. */
    public static final String DEFAULT_MIGRATION_USER = "app_migrator";
    /** Default health user: may connect and read monitoring views ({@code pg_monitor}), nothing else. */
    public static final String DEFAULT_HEALTH_USER = "app_health";
    /** Default image of the container provider: the official PostgreSQL image, {@value}. */
    public static final String DEFAULT_CONTAINER_IMAGE = "postgres:17";

    /** Default bound on the whole start, from binaries lookup to all replicas streaming: 60 s. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern SETTING_NAME = Pattern.compile("[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)?");
    private static final Set<String> RESERVED_ROLES = Set.of("postgres", DevCluster.REPLICATION_USER, "public");
    private static final Set<String> RESERVED_DATABASES = Set.of("postgres", "template0", "template1");
    /** Settings the cluster wiring depends on; changing them through options would break it. */
    private static final Set<String> RESERVED_SETTINGS = Set.of("port", "listen_addresses",
            "unix_socket_directories", "wal_level", "hot_standby", "max_wal_senders", "max_replication_slots",
            "cluster_name", "logging_collector", "primary_conninfo", "primary_slot_name");

    private final int replicas;
    private final Optional<Path> binDir;
    private final Path baseDir;
    private final String database;
    private final String appUser;
    private final Duration startTimeout;
    private final Map<String, String> postgresqlConf;
    private final String migrationUser;
    private final String healthUser;
    private final boolean tls;
    private final Optional<Pooler> pgbouncer;
    private final boolean shutdownHook;
    private final DevClusterProvider provider;
    private final String containerImage;

    private DevClusterOptions(Builder b) {
        this.provider = b.provider;
        this.containerImage = b.containerImage;
        this.shutdownHook = b.shutdownHook;
        this.replicas = b.replicas;
        this.binDir = b.binDir;
        this.baseDir = b.baseDir;
        this.database = b.database;
        this.appUser = b.appUser;
        this.startTimeout = b.startTimeout;
        this.postgresqlConf = Collections.unmodifiableMap(new LinkedHashMap<>(b.postgresqlConf));
        this.migrationUser = b.migrationUser;
        this.healthUser = b.healthUser;
        this.tls = b.tls;
        this.pgbouncer = b.pgbouncer;
    }

    /** All defaults. */
    public static DevClusterOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().replicas(replicas).baseDir(baseDir).database(database).appUser(appUser)
                .startTimeout(startTimeout).postgresqlConf(postgresqlConf).migrationUser(migrationUser).healthUser(healthUser)
                .tls(tls).shutdownHook(shutdownHook).provider(provider).containerImage(containerImage);
        pgbouncer.ifPresent(b::pgbouncer);
        binDir.ifPresent(b::binDir);
        return b;
    }

    /** Number of streaming replicas; default {@value #DEFAULT_REPLICAS}. */
    public int replicas() { return replicas; }

    /** Explicit binaries folder; default empty (see {@link PostgresBinaries#locate(Optional)}). */
    public Optional<Path> binDir() { return binDir; }

    /** Absolute parent folder of cluster folders; default {@value #DEFAULT_BASE_DIR} under the working directory. */
    public Path baseDir() { return baseDir; }

    /** Application database; default {@value #DEFAULT_DATABASE}. */
    public String database() { return database; }

    /** Application user; default {@value #DEFAULT_APP_USER}. */
    public String appUser() { return appUser; }

    /** Bound on {@link DevCluster#start(DevClusterOptions)} and on each fault operation; default 60 s. */
    public Duration startTimeout() { return startTimeout; }

    /** Extra {@code postgresql.conf} settings in insertion order; default none. */
    public Map<String, String> postgresqlConf() { return postgresqlConf; }

    /** Migration user (DDL); default {@value #DEFAULT_MIGRATION_USER}. */
    public String migrationUser() { return migrationUser; }

    /** Health user (probe queries); default {@value #DEFAULT_HEALTH_USER}. */
    public String healthUser() { return healthUser; }

    /**
     * Whether the servers accept TLS connections only (see {@link DevCluster#tls()}); default
     * {@code false}. Needs {@code org.bouncycastle:bcpkix-jdk18on} on the class path.
     */
    public boolean tls() { return tls; }

    /**
     * The pool mode of a PgBouncer started with the cluster in front of every node (see
     * {@link DevCluster#pgbouncer()}); default empty, none.
     */
    public Optional<Pooler> pgbouncer() { return pgbouncer; }

    /** Whether the cluster registers a JVM shutdown hook that stops it; default true. */
    public boolean shutdownHook() { return shutdownHook; }

    /** Where {@link DevServicesCluster#start(DevClusterOptions)} runs the servers; default {@link DevClusterProvider#AUTO}. */
    public DevClusterProvider provider() { return provider; }

    /** The image the container provider runs; default {@value #DEFAULT_CONTAINER_IMAGE}. */
    public String containerImage() { return containerImage; }

    @Override
    public String toString() {
        return "DevClusterOptions[replicas=" + replicas + ", binDir=" + binDir.map(Path::toString).orElse("(search)")
                + ", baseDir=" + baseDir + ", database=" + database + ", appUser=" + appUser + ", startTimeout="
                + startTimeout + ", postgresqlConf=" + postgresqlConf + ", migrationUser=" + migrationUser + ", healthUser="
                + healthUser + ", tls=" + tls + ", pgbouncer="
                + pgbouncer.map(Pooler::settingValue).orElse("none") + ", shutdownHook=" + shutdownHook + ", provider="
                + provider.value() + ", containerImage=" + containerImage + "]";
    }

    /** Builds {@link DevClusterOptions}; each setter checks its argument. */
    public static final class Builder {
        private int replicas = DEFAULT_REPLICAS;
        private Optional<Path> binDir = Optional.empty();
        private Path baseDir = Path.of(DEFAULT_BASE_DIR).toAbsolutePath().normalize();
        private String database = DEFAULT_DATABASE;
        private String appUser = DEFAULT_APP_USER;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private final Map<String, String> postgresqlConf = new LinkedHashMap<>();
        private String migrationUser = DEFAULT_MIGRATION_USER;
        private String healthUser = DEFAULT_HEALTH_USER;
        private boolean tls;
        private Optional<Pooler> pgbouncer = Optional.empty();
        private boolean shutdownHook = true;
        private DevClusterProvider provider = DevClusterProvider.AUTO;
        private String containerImage = DEFAULT_CONTAINER_IMAGE;

        private Builder() {
        }

        /**
         * Where {@link DevServicesCluster#start(DevClusterOptions)} runs the servers; default
         * {@link DevClusterProvider#AUTO}. {@link DevClusterProvider#CONTAINERS} starts neither TLS nor PgBouncer.
         */
        public Builder provider(DevClusterProvider provider) {
            this.provider = Objects.requireNonNull(provider, "provider");
            return this;
        }

        /** The image the container provider runs, an official {@code postgres} image or one built on it. */
        public Builder containerImage(String containerImage) {
            Objects.requireNonNull(containerImage, "containerImage");
            if (containerImage.isBlank() || containerImage.chars().anyMatch(Character::isWhitespace)) {
                throw new ConfigurationException("containerImage", "must be an image name without blanks but was '"
                        + containerImage + "'");
            }
            this.containerImage = containerImage;
            return this;
        }

        /** Number of streaming replicas, 0 to {@value #MAX_REPLICAS}. */
        public Builder replicas(int replicas) {
            if (replicas < 0) {
                throw new ConfigurationException("replicas", "must be >= 0 but was " + replicas);
            }
            if (replicas > MAX_REPLICAS) {
                throw new ConfigurationException("replicas", "must be <= " + MAX_REPLICAS + " but was " + replicas);
            }
            this.replicas = replicas;
            return this;
        }

        /** The folder holding initdb, pg_ctl, pg_basebackup, psql and postgres. */
        public Builder binDir(Path binDir) {
            Objects.requireNonNull(binDir, "binDir");
            if (binDir.toString().isBlank()) {
                throw new ConfigurationException("binDir", "must not be blank");
            }
            this.binDir = Optional.of(binDir.toAbsolutePath().normalize());
            return this;
        }

        /** Parent folder of cluster folders; a relative path is resolved against the working directory. */
        public Builder baseDir(Path baseDir) {
            Objects.requireNonNull(baseDir, "baseDir");
            if (baseDir.toString().isBlank()) {
                throw new ConfigurationException("baseDir", "must not be blank");
            }
            Path absolute = baseDir.toAbsolutePath().normalize();
            if (absolute.getParent() == null) {
                throw new ConfigurationException("baseDir", "must not be the file system root but was " + absolute);
            }
            this.baseDir = absolute;
            return this;
        }

        /** Application database: a lower-case identifier ({@code [a-z_][a-z0-9_]*}, at most 63 characters). */
        public Builder database(String database) {
            Objects.requireNonNull(database, "database");
            if (!IDENTIFIER.matcher(database).matches()) {
                throw new ConfigurationException("database",
                        "must match [a-z_][a-z0-9_]* with at most 63 characters but was '" + database + "'");
            }
            if (RESERVED_DATABASES.contains(database)) {
                throw new ConfigurationException("database", "must not be a built-in database but was '" + database + "'");
            }
            this.database = database;
            return this;
        }

        /** Application user: a lower-case identifier, not {@code postgres} or {@code replicator}. */
        public Builder appUser(String appUser) {
            this.appUser = role("appUser", appUser);
            return this;
        }

        /** Migration user: a lower-case identifier, not {@code postgres} or {@code replicator}. */
        public Builder migrationUser(String migrationUser) {
            this.migrationUser = role("migrationUser", migrationUser);
            return this;
        }

        /** Health user: a lower-case identifier, not {@code postgres} or {@code replicator}. */
        public Builder healthUser(String healthUser) {
            this.healthUser = role("healthUser", healthUser);
            return this;
        }

        /**
         * Starts PgBouncer from the system package in front of every node, in {@code mode}
         * ({@link Pooler#PGBOUNCER_SESSION} or {@link Pooler#PGBOUNCER_TRANSACTION}); not with TLS.
         */
        public Builder pgbouncer(Pooler mode) {
            Objects.requireNonNull(mode, "pgbouncer");
            if (mode == Pooler.NONE) {
                throw new ConfigurationException("pgbouncer", "must be pgbouncer-session or pgbouncer-transaction but was none");
            }
            this.pgbouncer = Optional.of(mode);
            return this;
        }

        /** Start the servers with TLS (a throwaway CA, {@code hostssl} only); default {@code false}. */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        private static String role(String option, String name) {
            Objects.requireNonNull(name, option);
            if (!IDENTIFIER.matcher(name).matches() || name.startsWith("pg_")) {
                throw new ConfigurationException(option,
                        "must match [a-z_][a-z0-9_]* with at most 63 characters and not start with pg_ but was '"
                                + name + "'");
            }
            if (RESERVED_ROLES.contains(name) || name.equals(DevTls.CLIENT_CERT_USER)) {
                throw new ConfigurationException(option, "must not be a role the cluster uses itself but was '"
                        + name + "'");
            }
            return name;
        }

        /** Bound on the start and on each fault operation; must be > 0. */
        public Builder startTimeout(Duration startTimeout) {
            Objects.requireNonNull(startTimeout, "startTimeout");
            if (startTimeout.isNegative() || startTimeout.isZero()) {
                throw new ConfigurationException("startTimeout", "must be > 0 but was " + startTimeout);
            }
            if (startTimeout.getSeconds() < 1) {
                throw new ConfigurationException("startTimeout", "must be >= 1 s but was " + startTimeout);
            }
            this.startTimeout = startTimeout;
            return this;
        }

        /**
         * Adds one {@code postgresql.conf} setting, appended after the built-in ones (so it wins).
         * The value is written as a quoted literal ({@code name = 'value'}), which PostgreSQL
         * accepts for every type, for example {@code postgresqlConf("work_mem", "16MB")}.
         */
        public Builder postgresqlConf(String name, String value) {
            Objects.requireNonNull(name, "postgresqlConf name");
            Objects.requireNonNull(value, "postgresqlConf value");
            if (!SETTING_NAME.matcher(name).matches()) {
                throw new ConfigurationException("postgresqlConf",
                        "setting names must match [a-z_][a-z0-9_]*(.[a-z_][a-z0-9_]*)? but was '" + name + "'");
            }
            if (RESERVED_SETTINGS.contains(name)) {
                throw new ConfigurationException("postgresqlConf", "setting '" + name
                        + "' is managed by the dev cluster and cannot be overridden");
            }
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                throw new ConfigurationException("postgresqlConf", "value of '" + name
                        + "' must not contain line breaks or NUL");
            }
            postgresqlConf.put(name, value);
            return this;
        }

        /** Replaces all extra {@code postgresql.conf} settings (each checked as by {@link #postgresqlConf(String, String)}). */
        public Builder postgresqlConf(Map<String, String> settings) {
            Objects.requireNonNull(settings, "postgresqlConf");
            postgresqlConf.clear();
            settings.forEach(this::postgresqlConf);
            return this;
        }

        /**
         * Whether {@link DevCluster#start} registers a JVM shutdown hook that stops the cluster;
         * default true. An owner that closes the cluster itself in order (a Spring context, after
         * the router has drained) turns it off: JVM hooks run concurrently, so the hook could stop
         * the servers while work is still draining.
         */
        public Builder shutdownHook(boolean shutdownHook) {
            this.shutdownHook = shutdownHook;
            return this;
        }

        public DevClusterOptions build() {
            if (appUser.equals(migrationUser) || appUser.equals(healthUser) || migrationUser.equals(healthUser)) {
                throw new ConfigurationException("appUser", "the application, migration and health users must differ but were '"
                        + appUser + "', '" + migrationUser + "' and '" + healthUser + "'");
            }
            if (tls && pgbouncer.isPresent()) {
                throw new ConfigurationException("pgbouncer", "dev services start PgBouncer in front of plain clusters only, not with tls");
            }
            if (provider == DevClusterProvider.CONTAINERS && (tls || pgbouncer.isPresent())) {
                throw new ConfigurationException("provider", "the container provider starts neither TLS nor PgBouncer;"
                        + " use provider local (or auto) for " + (tls ? "tls" : "pgbouncer"));
            }
            return new DevClusterOptions(this);
        }
    }
}
