package io.reactivedb.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a {@code ReactiveDbRouter} needs: one primary, any number of replicas, and the pool
 * and session settings every endpoint shares. Built once and immutable; {@link #toString()} never
 * shows a password. {@link EnvironmentSettings} builds it from environment variables.
 *
 * <p>In {@linkplain #productionMode() production mode} {@link Builder#build()} also refuses
 * configurations that would expose credentials or data: anything weaker than {@code verify-full}
 * toward a host that is not loopback, a login as the superuser {@code postgres}, a login without
 * password or client certificate, a client key that others may read. Each refusal is a
 * {@link ConfigurationException} naming the setting ({@code DB_SSLMODE}, {@code DB_USER},
 * {@code DB_PASSWORD}, {@code DB_SSLKEY}, {@code DB_HEALTH_USER}, {@code DB_HEALTH_PASSWORD}).
 */
public final class ReactiveDbSettings {

    /** Default time that shutdown waits for in-flight work before it closes the pools: 30 s. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    private final EndpointSettings primary;
    private final List<EndpointSettings> replicas;
    private final PoolSettings pool;
    private final SessionSettings session;
    private final ReplicaSelection replicaSelection;
    private final Duration shutdownTimeout;
    private final Optional<Credentials> probeCredentials;
    private final boolean productionMode;

    private ReactiveDbSettings(Builder b) {
        this.primary = b.primary;
        this.replicas = List.copyOf(b.replicas);
        this.pool = b.pool;
        this.session = b.session;
        this.replicaSelection = b.replicaSelection;
        this.shutdownTimeout = b.shutdownTimeout;
        this.probeCredentials = b.probeCredentials;
        this.productionMode = b.productionMode;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().primary(primary).pool(pool).session(session).replicaSelection(replicaSelection)
                .shutdownTimeout(shutdownTimeout).productionMode(productionMode);
        probeCredentials.ifPresent(b::probeCredentials);
        replicas.forEach(b::addReplica);
        return b;
    }

    public EndpointSettings primary() { return primary; }
    public List<EndpointSettings> replicas() { return replicas; }
    public PoolSettings pool() { return pool; }
    public SessionSettings session() { return session; }
    public ReplicaSelection replicaSelection() { return replicaSelection; }
    public Duration shutdownTimeout() { return shutdownTimeout; }

    /**
     * Who the health probes log in as, on every endpoint (same host, port, database and TLS); empty
     * (the default) means the endpoint's own user. A role with {@code pg_monitor} and no table
     * privileges is enough for the probe.
     */
    public Optional<Credentials> probeCredentials() { return probeCredentials; }

    /** Whether the production rules of the class description apply; default {@code false}. */
    public boolean productionMode() { return productionMode; }

    @Override
    public String toString() {
        return "ReactiveDbSettings[primary=" + primary + ", replicas=" + replicas + ", pool=" + pool
                + ", session=" + session + ", replicaSelection=" + replicaSelection
                + ", shutdownTimeout=" + shutdownTimeout + ", probeCredentials=" + probeCredentials.map(Credentials::toString).orElse("(endpoint's)")
                + ", productionMode=" + productionMode + "]";
    }

    /** Builds {@link ReactiveDbSettings}; the primary is required. */
    public static final class Builder {
        private EndpointSettings primary;
        private final List<EndpointSettings> replicas = new ArrayList<>();
        private PoolSettings pool = PoolSettings.defaults();
        private SessionSettings session = SessionSettings.defaults();
        private ReplicaSelection replicaSelection = ReplicaSelection.WEIGHTED_ROUND_ROBIN;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private Optional<Credentials> probeCredentials = Optional.empty();
        private boolean productionMode;

        private Builder() {
        }

        /** The login of the health probes; see {@link ReactiveDbSettings#probeCredentials()}. */
        public Builder probeCredentials(Credentials probeCredentials) {
            this.probeCredentials = Optional.of(Objects.requireNonNull(probeCredentials, "probeCredentials"));
            return this;
        }

        /** Turns the production rules on or off; default off. */
        public Builder productionMode(boolean productionMode) {
            this.productionMode = productionMode;
            return this;
        }

        public Builder primary(EndpointSettings primary) {
            Objects.requireNonNull(primary, "primary");
            if (primary.role() != EndpointRole.PRIMARY) {
                throw new ConfigurationException("primary", "endpoint " + primary.name() + " has role " + primary.role());
            }
            this.primary = primary;
            return this;
        }

        public Builder addReplica(EndpointSettings replica) {
            Objects.requireNonNull(replica, "replica");
            if (replica.role() != EndpointRole.REPLICA) {
                throw new ConfigurationException("DB_READ_REPLICA_URLS", "endpoint " + replica.name() + " has role " + replica.role());
            }
            replicas.add(replica);
            return this;
        }

        public Builder replicas(List<EndpointSettings> replicas) {
            this.replicas.clear();
            replicas.forEach(this::addReplica);
            return this;
        }

        public Builder pool(PoolSettings pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        public Builder session(SessionSettings session) {
            this.session = Objects.requireNonNull(session, "session");
            return this;
        }

        public Builder replicaSelection(ReplicaSelection replicaSelection) {
            this.replicaSelection = Objects.requireNonNull(replicaSelection, "replicaSelection");
            return this;
        }

        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = Checks.positive("DB_SHUTDOWN_TIMEOUT", shutdownTimeout);
            return this;
        }

        public ReactiveDbSettings build() {
            if (primary == null) {
                throw new ConfigurationException("DATABASE_URL", "a primary endpoint is required (DATABASE_URL or DB_HOST)");
            }
            Set<String> names = new HashSet<>();
            names.add(primary.name());
            for (EndpointSettings replica : replicas) {
                if (!names.add(replica.name())) {
                    throw new ConfigurationException("DB_READ_REPLICA_URLS", "endpoint name '" + replica.name() + "' is used twice");
                }
            }
            ReactiveDbSettings settings = new ReactiveDbSettings(this);
            if (productionMode) {
                ProductionChecks.check(settings);
            }
            return settings;
        }
    }
}
