package io.reactivedb.health;

import io.reactivedb.routing.RouterBuilder;
import reactor.core.publisher.Mono;

/**
 * Something besides the endpoints whose state belongs in the health snapshot, for example the age
 * of the newest verified backup. Registered on the router's builder
 * ({@code RouterBuilder#healthComponent}); the monitor checks every component once per
 * probe round, alongside the probes.
 *
 * <p>A check is bounded by the probe timeout; one that fails, times out or completes empty counts
 * as {@link ComponentHealth.Status#DEGRADED} with the reason in its details. A degraded component
 * makes the aggregate status DEGRADED, never UNHEALTHY: only a missing writer does that.
 */
public interface HealthComponent {

    /** The component's name in {@link HealthSnapshot#components()}, for example {@code backup}; not blank. */
    String name();

    /**
     * The component's state now. Must not block the subscribing thread: blocking work (files,
     * processes) belongs on {@code Schedulers.boundedElastic()}.
     */
    Mono<ComponentHealth> check();
}
