package io.reactivedb.health;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The state after one probe round.
 *
 * @param writer     the endpoint writes go to, empty when none is writable
 * @param splitBrain more than one server reported that it is not in recovery
 */
public record HealthSnapshot(HealthStatus status, Instant at, Optional<String> writer, boolean splitBrain,
                             List<EndpointHealth> endpoints) {

    public HealthSnapshot {
        endpoints = List.copyOf(endpoints);
    }

    public Optional<EndpointHealth> endpoint(String name) {
        return endpoints.stream().filter(e -> e.endpoint().equals(name)).findFirst();
    }
}
