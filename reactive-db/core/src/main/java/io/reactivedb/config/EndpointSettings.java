package io.reactivedb.config;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where one PostgreSQL server is and how to log in to it.
 *
 * <p>{@link #toString()} masks the password; {@link #describe()} gives {@code name (host:port/db)}
 * for messages.
 */
public final class EndpointSettings {

    /** Default port, 5432. */
    public static final int DEFAULT_PORT = 5432;
    /** Default user, {@code postgres}. */
    public static final String DEFAULT_USERNAME = "postgres";
    /** Default database of the builder, {@code postgres}. */
    public static final String DEFAULT_DATABASE = "postgres";
    /** Default weight of a replica in weighted round robin, 1. */
    public static final int DEFAULT_WEIGHT = 1;
    /** Largest accepted weight, 1000. */
    public static final int MAX_WEIGHT = 1000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final String name;
    private final EndpointRole role;
    private final String host;
    private final int port;
    private final String database;
    private final String username;
    private final Secret password;
    private final int weight;
    private final TlsSettings tls;

    private EndpointSettings(Builder b) {
        this.name = b.name;
        this.role = b.role;
        this.host = b.host;
        this.port = b.port;
        this.database = b.database;
        this.username = b.username;
        this.password = b.password;
        this.weight = b.weight;
        this.tls = b.tls;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().name(name).role(role).host(host).port(port).database(database)
                .username(username).password(password).weight(weight).tls(tls);
    }

    /** A short, unique, log-safe name: {@code primary}, {@code replica-1}, … Used in metrics tags. */
    public String name() { return name; }
    public EndpointRole role() { return role; }
    public String host() { return host; }
    public int port() { return port; }
    public String database() { return database; }
    public String username() { return username; }
    public Secret password() { return password; }
    /** Relative share of reads in weighted round robin; 1 to {@value #MAX_WEIGHT}. */
    public int weight() { return weight; }
    public TlsSettings tls() { return tls; }

    /** {@code name (host:port/database)}: safe for logs and exception messages. */
    public String describe() {
        return name + " (" + host + ":" + port + "/" + database + ")";
    }

    @Override
    public String toString() {
        return "EndpointSettings[name=" + name + ", role=" + role + ", host=" + host + ", port=" + port
                + ", database=" + database + ", username=" + username + ", password=" + password
                + ", weight=" + weight + ", sslmode=" + tls.mode().libpqName() + "]";
    }

    /** Builds {@link EndpointSettings}; each setter checks its argument. */
    public static final class Builder {
        private String name = "primary";
        private EndpointRole role = EndpointRole.PRIMARY;
        private String host = "localhost";
        private int port = DEFAULT_PORT;
        private String database = DEFAULT_DATABASE;
        private String username = DEFAULT_USERNAME;
        private Secret password = Secret.empty();
        private int weight = DEFAULT_WEIGHT;
        private TlsSettings tls = TlsSettings.disabled();

        private Builder() {
        }

        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (!NAME.matcher(name).matches()) {
                throw new ConfigurationException("endpoint.name", "must be 1 to 64 of [A-Za-z0-9_.-] but was '" + name + "'");
            }
            this.name = name;
            return this;
        }

        public Builder role(EndpointRole role) {
            this.role = Objects.requireNonNull(role, "role");
            return this;
        }

        public Builder host(String host) {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new ConfigurationException("DB_HOST", "must not be blank");
            }
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            if (port < 1 || port > 65535) {
                throw new ConfigurationException("DB_PORT", "must be between 1 and 65535 but was " + port);
            }
            this.port = port;
            return this;
        }

        public Builder database(String database) {
            Objects.requireNonNull(database, "database");
            if (database.isBlank()) {
                throw new ConfigurationException("DB_NAME", "must not be blank");
            }
            this.database = database;
            return this;
        }

        public Builder username(String username) {
            Objects.requireNonNull(username, "username");
            if (username.isBlank()) {
                throw new ConfigurationException("DB_USER", "must not be blank");
            }
            this.username = username;
            return this;
        }

        public Builder password(Secret password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        public Builder password(String password) {
            return password(Secret.of(password));
        }

        public Builder weight(int weight) {
            if (weight < 1 || weight > MAX_WEIGHT) {
                throw new ConfigurationException("DB_READ_REPLICA_<n>_WEIGHT", "must be between 1 and " + MAX_WEIGHT + " but was " + weight);
            }
            this.weight = weight;
            return this;
        }

        public Builder tls(TlsSettings tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        public EndpointSettings build() {
            return new EndpointSettings(this);
        }
    }
}
