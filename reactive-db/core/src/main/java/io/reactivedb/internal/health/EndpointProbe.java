package io.reactivedb.internal.health;

import reactor.core.publisher.Mono;

/**
 * Probes one server. Implementations keep at most one connection of their own (never one from the
 * request pool, so health answers when the pool is exhausted) and open it again after a failure.
 */
public interface EndpointProbe {

    /** The endpoint's name. */
    String endpoint();

    /**
     * One probe. May fail or hang; the monitor bounds it with the probe timeout and turns both into
     * an unreachable result.
     */
    Mono<ProbeResult> probe();

    /** Closes the probe's connection. */
    Mono<Void> close();
}
