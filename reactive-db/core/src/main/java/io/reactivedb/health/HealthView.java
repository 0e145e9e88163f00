package io.reactivedb.health;

import java.util.Objects;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A read-only view of a {@link HealthMonitor}: its latest state and its event stream. Holders of
 * the view can watch the monitor but neither start, stop nor trigger its rounds.
 */
public interface HealthView {

    /** The latest state, or empty before the first round. */
    Optional<HealthSnapshot> current();

    /** The state after the latest round; waits for the first round if none has completed yet. */
    Mono<HealthSnapshot> snapshot();

    /** The hot event stream: a snapshot first, then changes (see {@link HealthMonitor#events()}). */
    Flux<HealthEvent> events();

    /** The view of {@code monitor}. */
    static HealthView of(HealthMonitor monitor) {
        Objects.requireNonNull(monitor, "monitor");
        return new HealthView() {
            @Override
            public Optional<HealthSnapshot> current() {
                return monitor.current();
            }

            @Override
            public Mono<HealthSnapshot> snapshot() {
                return monitor.snapshot();
            }

            @Override
            public Flux<HealthEvent> events() {
                return monitor.events();
            }
        };
    }
}
