package io.reactivedb.health;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The state of one {@link HealthComponent} after a check.
 *
 * @param details what the component wants shown (ages, names, the last result), in insertion
 *                order; values are strings, numbers or booleans and never secrets
 */
public record ComponentHealth(Status status, Map<String, Object> details) {

    /** A component's state. */
    public enum Status {
        /** Working as it should. */
        UP,
        /** Needs attention; the aggregate status becomes DEGRADED. */
        DEGRADED
    }

    public ComponentHealth {
        Objects.requireNonNull(status, "status");
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    public static ComponentHealth up(Map<String, Object> details) {
        return new ComponentHealth(Status.UP, details);
    }

    public static ComponentHealth degraded(Map<String, Object> details) {
        return new ComponentHealth(Status.DEGRADED, details);
    }
}
