package io.reactivedb.routing;

import io.reactivedb.error.DbConnectionException;
import io.reactivedb.pool.PoolStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the router does about endpoints that hold work without finishing any (see {@link StallWatch}). */
final class StallResponse implements StallWatch.Handler {

    private static final Logger log = LoggerFactory.getLogger(StallResponse.class);

    private final Topology topology;

    StallResponse(Topology topology) {
        this.topology = topology;
    }

    @Override
    public void suspect(Endpoint endpoint) {
        log.debug("[{}] {} unit(s) in flight and none answered lately; probing", endpoint.name(), endpoint.inFlight());
        topology.troubleOn(endpoint);
    }

    @Override
    public void stalled(Endpoint endpoint, long inFlight, PoolStatistics pool, long silentMillis) {
        log.warn("[{}] stalled: {} unit(s) in flight, {} waiting for a connection, none answered for {} ms; it takes no new"
                + " reads until one is or a probe answers", endpoint.name(), inFlight, pool.pending(), silentMillis);
        topology.troubleOn(endpoint);
        failOverQueued(endpoint, silentMillis);
    }

    @Override
    public void stillStalled(Endpoint endpoint, PoolStatistics pool) {
        failOverQueued(endpoint, -1);
    }

    @Override
    public void answering(Endpoint endpoint) {
        log.info("[{}] answers again: back in rotation", endpoint.name());
    }

    /** Work queued on a stalled endpoint moves on (retry-safe: nothing was sent), unless it is the writer: writes have nowhere else to go. */
    private void failOverQueued(Endpoint endpoint, long silentMillis) {
        if (endpoint == topology.writer()) {
            return;
        }
        int failed = endpoint.pool().failPending(() -> new DbConnectionException("[" + endpoint.name() + "] stalled: units in flight there"
                + " and none answered" + (silentMillis >= 0 ? " for " + silentMillis + " ms" : "") + "; the unit was still waiting"
                + " for a connection and was not sent", null, "08001", endpoint.name(), true));
        if (failed > 0) {
            log.info("[{}] stalled: {} unit(s) waiting for its connections fail over", endpoint.name(), failed);
        }
    }
}
