package io.reactivedb.health;

/** The router's overall state. */
public enum HealthStatus {
    /** The writable primary and every replica are up, in rotation and within the lag limit. */
    HEALTHY,
    /** Writes work, but a replica is down or lagging, a breaker is open, or two servers claim to be primary. */
    DEGRADED,
    /** No writable primary. */
    UNHEALTHY
}
