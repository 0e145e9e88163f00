package io.reactivedb.health;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state after one probe round.
 *
 * @param writer     the endpoint writes go to, empty when none is writable
 * @param splitBrain more than one server reported that it is not in recovery
 * @param components the registered {@link HealthComponent}s by name, in registration order
 */
public record HealthSnapshot(HealthStatus status, Instant at, Optional<String> writer, boolean splitBrain,
                             List<EndpointHealth> endpoints, Map<String, ComponentHealth> components) {

    public HealthSnapshot {
        endpoints = List.copyOf(endpoints);
        components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
    }

    /** A snapshot without components. */
    public HealthSnapshot(HealthStatus status, Instant at, Optional<String> writer, boolean splitBrain, List<EndpointHealth> endpoints) {
        this(status, at, writer, splitBrain, endpoints, Map.of());
    }

    public Optional<ComponentHealth> component(String name) {
        return Optional.ofNullable(components.get(name));
    }

    public Optional<EndpointHealth> endpoint(String name) {
        return endpoints.stream().filter(e -> e.endpoint().equals(name)).findFirst();
    }
}
