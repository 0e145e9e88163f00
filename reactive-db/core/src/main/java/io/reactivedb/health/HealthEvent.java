package io.reactivedb.health;

import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Something the health monitor observed. Each kind is an immutable record with its time. */
public sealed interface HealthEvent {

    /** When it was observed (the probe round's time, from the monitor's scheduler). */
    Instant at();

    /** The state now: the first event every subscriber receives. */
    record Snapshot(Instant at, HealthSnapshot snapshot) implements HealthEvent {
    }

    /** A probe failed or timed out. */
    record EndpointDown(Instant at, String endpoint, String reason) implements HealthEvent {
    }

    /** A probe succeeded again after a failure. */
    record EndpointUp(Instant at, String endpoint, ObservedRole role) implements HealthEvent {
    }

    /** A server reported another role than at its previous successful probe (promotion, demotion). */
    record RoleChanged(Instant at, String endpoint, ObservedRole from, ObservedRole to) implements HealthEvent {
    }

    /** Writes go to another endpoint now; {@code to} is empty when no server is writable. */
    record WriterChanged(Instant at, Optional<String> from, Optional<String> to) implements HealthEvent {
    }

    /** A replica's lag went over the limit; it left the read rotation. */
    record LagExceeded(Instant at, String endpoint, OptionalLong lagBytes, Optional<Duration> lagTime) implements HealthEvent {
    }

    /** A replica's lag is within the limit again; it is back in rotation. */
    record LagRecovered(Instant at, String endpoint, OptionalLong lagBytes, Optional<Duration> lagTime) implements HealthEvent {
    }

    /** Callers are waiting for connections of a full pool, or timed out waiting since the last round. */
    record PoolExhausted(Instant at, String endpoint, PoolStatistics pool) implements HealthEvent {
    }

    /** More than one server reported that it is not in recovery; writes stay on {@code writer}. */
    record SplitBrain(Instant at, List<String> notInRecovery, Optional<String> writer) implements HealthEvent {
    }

    /** An endpoint's circuit breaker changed state ({@code CLOSED}, {@code OPEN}, {@code HALF_OPEN}, …). */
    record BreakerStateChanged(Instant at, String endpoint, String from, String to) implements HealthEvent {
    }

    /** A {@link HealthComponent}'s status changed; {@code health} holds the details of the new state. */
    record ComponentStatusChanged(Instant at, String component, ComponentHealth.Status from, ComponentHealth.Status to,
                                  ComponentHealth health) implements HealthEvent {
    }

    /**
     * A server's reply showed that the pooler in front of {@code endpoint} is not the one
     * {@code DB_POOLER} names: the connection's named statements were missing or another
     * session's ({@code sqlState} {@code 42P05}, {@code 26000} or {@code 08P01}). Statements on such
     * connections may return other clients' rows. Published at most once per endpoint per probe
     * interval while it goes on.
     */
    record PoolerMismatch(Instant at, String endpoint, String sqlState) implements HealthEvent {
    }

    /** The aggregated status changed. */
    record StatusChanged(Instant at, HealthStatus from, HealthStatus to) implements HealthEvent {
    }
}
