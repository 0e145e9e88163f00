package io.reactivedb.routing;

import io.reactivedb.health.Lsn;
import java.util.List;
import java.util.Optional;
import java.util.function.IntPredicate;

/**
 * Where a read goes: a function of the read's consistency, its session's token, the endpoint that
 * just refused it, and the endpoints' states ({@link EndpointState}). No I/O and no routing state
 * of its own beyond the {@link ReplicaSelector}'s turn among equally eligible endpoints.
 *
 * <p>A replica is eligible when it is {@link EndpointState#readable()} and not the refused one,
 * and, by level: {@code STRONG} none; {@code EVENTUAL} any; {@code BOUNDED_STALENESS} with a known
 * lag within the bound; {@code READ_YOUR_WRITES} one known to have replayed the session's token
 * (any without a token, none for an uncertain session). Without an eligible one the read goes to
 * the writer, unless the writer is the refused endpoint or there is none.
 *
 * <p>Saturation: an eligible replica whose pool is {@link EndpointState#saturated() saturated} is
 * passed over for one that is not; when every eligible replica is saturated, the writer takes the
 * read if its own pool is not (any writer is consistent enough for every level), else the read
 * waits on a saturated replica as before. So slow work pinning the replicas' connections moves
 * reads to an endpoint with free ones instead of queueing them.
 */
final class EndpointSelector {

    static final int NONE = ReplicaSelector.NONE;

    /**
     * One read to place.
     *
     * @param consistency the read's level
     * @param token       the session's last write position; empty without a session or token
     * @param uncertain   the session lost track of a write's position: only the writer is sure to show it
     * @param refused     the index of the endpoint whose breaker just refused this read, or {@link #NONE}
     */
    record Read(ReadConsistency consistency, Optional<Lsn> token, boolean uncertain, int refused) {
    }

    /**
     * The decision.
     *
     * @param endpoint    the index of the endpoint to use, or {@link #NONE}: no endpoint can serve the read
     * @param replayCheck a read-your-writes read sent to the writer because no replica is known to
     *                    have replayed its token: the index of a readable replica worth asking
     *                    ({@link ReplayCheck}), else {@link #NONE}
     */
    record Choice(int endpoint, int replayCheck) {
    }

    private final ReplicaSelector replicas;

    EndpointSelector(ReplicaSelector replicas) {
        this.replicas = replicas;
    }

    Choice choose(Read read, List<EndpointState> endpoints) {
        int writer = writer(endpoints);
        IntPredicate readable = i -> i != read.refused() && endpoints.get(i).readable();
        int replica = replica(read, endpoints, i -> readable.test(i) && !endpoints.get(i).saturated());
        boolean writerFree = writer != NONE && writer != read.refused() && !endpoints.get(writer).saturated();
        if (replica == NONE && !writerFree) {
            replica = replica(read, endpoints, readable);
        }
        int endpoint = replica != NONE ? replica : writer == read.refused() ? NONE : writer;
        return new Choice(endpoint, replayCheck(read, endpoints, endpoint, writer, readable));
    }

    private int replica(Read read, List<EndpointState> endpoints, IntPredicate readable) {
        ReadConsistency consistency = read.consistency();
        return switch (consistency.level()) {
            case STRONG -> NONE;
            case EVENTUAL -> replicas.select(endpoints, readable);
            case BOUNDED_STALENESS -> replicas.select(endpoints, i -> readable.test(i) && endpoints.get(i).lagWithin(consistency.maxLag()));
            case READ_YOUR_WRITES -> read.uncertain() ? NONE : read.token()
                    .map(needed -> replicas.select(endpoints, i -> readable.test(i) && endpoints.get(i).hasReplayed(needed)))
                    .orElseGet(() -> replicas.select(endpoints, readable));
        };
    }

    private int replayCheck(Read read, List<EndpointState> endpoints, int chosen, int writer, IntPredicate readable) {
        boolean askReplica = read.consistency().level() == ReadConsistency.Level.READ_YOUR_WRITES && chosen != NONE && chosen == writer
                && !read.uncertain() && read.token().isPresent();
        return askReplica ? replicas.select(endpoints, i -> i != writer && readable.test(i)) : NONE;
    }

    private static int writer(List<EndpointState> endpoints) {
        for (int i = 0; i < endpoints.size(); i++) {
            if (endpoints.get(i).writer()) {
                return i;
            }
        }
        return NONE;
    }
}
