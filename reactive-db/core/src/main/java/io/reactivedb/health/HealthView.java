package io.reactivedb.health;

import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A read-only view of the router's health monitoring ({@code router.health()}): its latest state and
 * its event stream. Holders of the view can watch the monitoring but neither start, stop nor trigger
 * its probe rounds.
 */
public interface HealthView {

    /** The latest state, or empty before the first round. */
    Optional<HealthSnapshot> current();

    /** The state after the latest round; waits for the first round if none has completed yet. */
    Mono<HealthSnapshot> snapshot();

    /**
     * The hot event stream: a {@link HealthEvent.Snapshot} of the current state first (as soon as the
     * first round has completed), then every event as it happens. Each subscriber has a buffer of
     * {@link HealthSettings#subscriberBuffer()} events; one that falls that far behind loses its oldest
     * events, never slows the probes. A subscriber that throws only ends its own subscription.
     */
    Flux<HealthEvent> events();
}
