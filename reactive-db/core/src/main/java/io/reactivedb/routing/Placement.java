package io.reactivedb.routing;

import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.health.Lsn;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Glue between the router's live endpoints and the {@link EndpointSelector}: the states in, an endpoint out. */
final class Placement {

    /** Where a read goes, and the replica worth a replay check (see {@link EndpointSelector.Choice}); each null when none. */
    record Target(@Nullable Endpoint endpoint, @Nullable Endpoint replayCheck) {
    }

    private final RouterWiring wiring;
    private final EndpointSelector selector;

    Placement(RouterWiring wiring) {
        this.wiring = wiring;
        this.selector = new EndpointSelector(ReplicaSelector.of(wiring.settings.replicaSelection(), wiring.endpoints.all().size()));
    }

    @Nullable Endpoint writer() {
        return wiring.topology.writer();
    }

    /** Where a read at {@code consistency} goes now, {@code refused} (if any) excluded. */
    Target read(ReadConsistency consistency, Optional<ConsistencyTracker> session, @Nullable Endpoint refused) {
        Endpoints endpoints = wiring.endpoints;
        Optional<Lsn> token = session.flatMap(ConsistencyTracker::token).map(ConsistencyToken::lsn);
        boolean uncertain = session.map(ConsistencyTracker::isUncertain).orElse(false);
        EndpointSelector.Read read = new EndpointSelector.Read(consistency, token, uncertain, endpoints.indexOf(refused));
        EndpointSelector.Choice choice = selector.choose(read, endpoints.states(writer(), wiring.breakers));
        return new Target(at(choice.endpoint()), at(choice.replayCheck()));
    }

    private @Nullable Endpoint at(int index) {
        List<Endpoint> all = wiring.endpoints.all();
        return index == EndpointSelector.NONE ? null : all.get(index);
    }

    /** The error of a unit no endpoint can take: {@code consistency} null for work that needs the writer. */
    static DbUnavailableException nowhere(@Nullable ReadConsistency consistency) {
        return new DbUnavailableException(consistency == null || consistency.level() == ReadConsistency.Level.STRONG
                ? "no writable primary: every server is down or in recovery"
                : "no endpoint can serve a " + consistency + " read", null);
    }
}
