package io.reactivedb.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The settings of each connection's PostgreSQL session: its session parameters (such as
 * {@code application_name} and {@code statement_timeout}), applied to every new connection as startup
 * parameters so that {@code RESET ALL} returns to them, and the driver's limits on that session
 * (connect timeout, message size, statement cache). "Session" here, as in {@code DbSession}, is the
 * server session of one connection. A timeout that is empty is left at the server's setting.
 *
 * <p>Behind a pooler ({@link #pooler()}): with {@link Pooler#PGBOUNCER_SESSION} the timeouts are
 * applied with {@code SET} right after connecting (PgBouncer refuses them as startup parameters);
 * with {@link Pooler#PGBOUNCER_TRANSACTION} {@link Builder#build()} refuses them and a statement
 * cache other than {@code 0}, since consecutive transactions may run on different server sessions.
 */
public final class SessionSettings {

    /** Default {@code application_name}: {@code reactive-db}. */
    public static final String DEFAULT_APPLICATION_NAME = "reactive-db";
    /** Default time allowed to open a TCP connection and log in ({@code DB_CONNECT_TIMEOUT}): 10 s. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Default largest backend message the driver accepts ({@code DB_MAX_MESSAGE_SIZE}): 64 MiB.
     * r2dbc-postgresql's own limit is effectively unbounded, so one huge row could exhaust memory.
     */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

    /**
     * Default number of named prepared statements the driver keeps per connection
     * ({@code DB_STATEMENT_CACHE_SIZE}): 256, least recently used closed first. r2dbc-postgresql's
     * own default keeps every distinct SQL text prepared for the connection's whole life, so each
     * backend's memory grew with the number of texts an application ever ran.
     */
    public static final int DEFAULT_STATEMENT_CACHE_SIZE = 256;

    private static final Pattern APPLICATION_NAME = Pattern.compile("[\\x20-\\x7E]{1,63}");

    private final String applicationName;
    private final Duration connectTimeout;
    private final Optional<Duration> statementTimeout;
    private final Optional<Duration> lockTimeout;
    private final Optional<Duration> idleInTransactionTimeout;
    private final int maxMessageSize;
    private final int statementCacheSize;
    private final boolean statementCacheSizeSet;
    private final Pooler pooler;

    private SessionSettings(Builder b, int statementCacheSize) {
        this.maxMessageSize = b.maxMessageSize;
        this.statementCacheSize = statementCacheSize;
        this.statementCacheSizeSet = b.statementCacheSize.isPresent();
        this.pooler = b.pooler;
        this.applicationName = b.applicationName;
        this.connectTimeout = b.connectTimeout;
        this.statementTimeout = b.statementTimeout;
        this.lockTimeout = b.lockTimeout;
        this.idleInTransactionTimeout = b.idleInTransactionTimeout;
    }

    public static SessionSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().applicationName(applicationName).connectTimeout(connectTimeout).maxMessageSize(maxMessageSize)
                .pooler(pooler);
        if (statementCacheSizeSet) {
            b.statementCacheSize(statementCacheSize);
        }
        statementTimeout.ifPresent(b::statementTimeout);
        lockTimeout.ifPresent(b::lockTimeout);
        idleInTransactionTimeout.ifPresent(b::idleInTransactionTimeout);
        return b;
    }

    /** {@code application_name}, visible in {@code pg_stat_activity}; printable ASCII, 1 to 63 characters. */
    public String applicationName() { return applicationName; }
    public Duration connectTimeout() { return connectTimeout; }
    /** Server-side {@code statement_timeout}, a backstop behind client-side timeouts. */
    public Optional<Duration> statementTimeout() { return statementTimeout; }
    public Optional<Duration> lockTimeout() { return lockTimeout; }
    public Optional<Duration> idleInTransactionTimeout() { return idleInTransactionTimeout; }
    /** Largest message from the server, in bytes; a bigger one fails the statement instead of the heap. */
    public int maxMessageSize() { return maxMessageSize; }

    /**
     * Named prepared statements kept per connection, least recently used closed first; {@code 0}
     * prepares every statement unnamed (parsed on each execution, nothing kept on the server).
     * Default {@value #DEFAULT_STATEMENT_CACHE_SIZE}, and {@code 0} with {@link Pooler#PGBOUNCER_TRANSACTION}.
     */
    public int statementCacheSize() { return statementCacheSize; }

    /** What sits between the router and the servers ({@code DB_POOLER}); default {@link Pooler#NONE}. */
    public Pooler pooler() { return pooler; }

    @Override
    public String toString() {
        return "SessionSettings[applicationName=" + applicationName + ", connectTimeout=" + connectTimeout
                + ", statementTimeout=" + statementTimeout.map(Duration::toString).orElse("server")
                + ", lockTimeout=" + lockTimeout.map(Duration::toString).orElse("server")
                + ", idleInTransactionTimeout=" + idleInTransactionTimeout.map(Duration::toString).orElse("server")
                + ", maxMessageSize=" + maxMessageSize + ", statementCacheSize=" + statementCacheSize
                + ", pooler=" + pooler.settingValue() + "]";
    }

    /** Builds {@link SessionSettings}. */
    public static final class Builder {
        private String applicationName = DEFAULT_APPLICATION_NAME;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Optional<Duration> statementTimeout = Optional.empty();
        private Optional<Duration> lockTimeout = Optional.empty();
        private Optional<Duration> idleInTransactionTimeout = Optional.empty();
        private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private OptionalInt statementCacheSize = OptionalInt.empty();
        private Pooler pooler = Pooler.NONE;

        private Builder() {
        }

        /** What sits between the router and the servers; default {@link Pooler#NONE}. See {@link #build()}. */
        public Builder pooler(Pooler pooler) {
            this.pooler = Objects.requireNonNull(pooler, "pooler");
            return this;
        }

        /** Named prepared statements kept per connection, {@code >= 0}; see {@link SessionSettings#statementCacheSize()}. */
        public Builder statementCacheSize(int statementCacheSize) {
            if (statementCacheSize < 0) {
                throw new ConfigurationException("DB_STATEMENT_CACHE_SIZE", "must be >= 0 (0 = unnamed statements only) but was "
                        + statementCacheSize);
            }
            this.statementCacheSize = OptionalInt.of(statementCacheSize);
            return this;
        }

        public Builder maxMessageSize(int maxMessageSize) {
            if (maxMessageSize < 64 * 1024) {
                throw new ConfigurationException("DB_MAX_MESSAGE_SIZE", "must be >= 65536 bytes but was " + maxMessageSize);
            }
            this.maxMessageSize = maxMessageSize;
            return this;
        }

        public Builder applicationName(String applicationName) {
            Objects.requireNonNull(applicationName, "applicationName");
            if (!APPLICATION_NAME.matcher(applicationName).matches()) {
                throw new ConfigurationException("DB_APPLICATION_NAME", "must be 1 to 63 printable ASCII characters but was '" + applicationName + "'");
            }
            this.applicationName = applicationName;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Checks.positive("DB_CONNECT_TIMEOUT", connectTimeout);
            return this;
        }

        public Builder statementTimeout(Duration statementTimeout) {
            this.statementTimeout = Optional.of(Checks.positive("DB_STATEMENT_TIMEOUT", statementTimeout));
            return this;
        }

        public Builder lockTimeout(Duration lockTimeout) {
            this.lockTimeout = Optional.of(Checks.positive("DB_LOCK_TIMEOUT", lockTimeout));
            return this;
        }

        public Builder idleInTransactionTimeout(Duration idleInTransactionTimeout) {
            this.idleInTransactionTimeout = Optional.of(Checks.positive("DB_IDLE_IN_TRANSACTION_TIMEOUT", idleInTransactionTimeout));
            return this;
        }

        /**
         * @throws ConfigurationException with {@link Pooler#PGBOUNCER_TRANSACTION}: naming
         *     {@code DB_STATEMENT_CACHE_SIZE} when it is set above 0, and naming
         *     {@code DB_STATEMENT_TIMEOUT}, {@code DB_LOCK_TIMEOUT} or
         *     {@code DB_IDLE_IN_TRANSACTION_TIMEOUT} when one is set (the message says how to set it on the role)
         */
        public SessionSettings build() {
            if (!pooler.sharesSessions()) {
                return new SessionSettings(this, statementCacheSize.orElse(DEFAULT_STATEMENT_CACHE_SIZE));
            }
            if (statementCacheSize.orElse(0) > 0) {
                throw new ConfigurationException("DB_STATEMENT_CACHE_SIZE", "must be 0 (or unset) with DB_POOLER="
                        + pooler.settingValue() + " but was " + statementCacheSize.getAsInt() + ": a named statement prepared in one"
                        + " server session would be looked up in another, which fails or runs another client's statement");
            }
            refuseSessionTimeout("DB_STATEMENT_TIMEOUT", "statement_timeout", statementTimeout);
            refuseSessionTimeout("DB_LOCK_TIMEOUT", "lock_timeout", lockTimeout);
            refuseSessionTimeout("DB_IDLE_IN_TRANSACTION_TIMEOUT", "idle_in_transaction_session_timeout", idleInTransactionTimeout);
            return new SessionSettings(this, 0);
        }

        private void refuseSessionTimeout(String setting, String parameter, Optional<Duration> value) {
            if (value.isPresent()) {
                throw new ConfigurationException(setting, "cannot be applied with DB_POOLER=" + pooler.settingValue()
                        + ": each transaction may run in another server session, so a session setting would be lost or leak"
                        + " to other clients; set it on the role instead (ALTER ROLE <user> SET " + parameter + " = '"
                        + value.get().toMillis() + "ms') and leave " + setting + " unset");
            }
        }
    }
}
