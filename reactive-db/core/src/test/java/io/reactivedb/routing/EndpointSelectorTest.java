package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.ReplicaSelection;
import io.reactivedb.health.Lsn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The read placement as a table: consistency × health/rotation × lag × breaker × weights/in-flight
 * × pool saturation × refused endpoint → the endpoint chosen (and the replica worth a replay check). Endpoints are
 * {@code primary} (the writer), {@code replica-1}, {@code replica-2}; a fresh selector per case,
 * so a weighted round robin's first turn goes to the heaviest eligible replica.
 */
class EndpointSelectorTest {

    private static final String NONE = "none";
    private static final ReadConsistency EVENTUAL = ReadConsistency.eventual();
    private static final ReadConsistency STRONG = ReadConsistency.strong();
    private static final ReadConsistency RYW = ReadConsistency.readYourWrites();
    private static final ReadConsistency BOUNDED = ReadConsistency.boundedStaleness(Duration.ofSeconds(1));
    private static final Lsn TOKEN = new Lsn(1_000);

    /** A case: the read, changes to the healthy cluster, the expected endpoint and replay-check candidate. */
    record Case(String name, ReadConsistency consistency, Optional<Lsn> token, boolean uncertain, String refused,
                List<UnaryOperator<List<EndpointState>>> changes, ReplicaSelection selection, String expected, String replayCheck) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> table() {
        return Stream.of(
                // consistency, all healthy
                row("eventual: a replica", EVENTUAL, NONE, "replica-1", NONE),
                row("strong: the writer", STRONG, NONE, "primary", NONE),
                row("bounded, lag within: a replica", BOUNDED, NONE, "replica-1", NONE),
                row("read-your-writes without a token: a replica", RYW, NONE, "replica-1", NONE),
                // health and rotation
                row("eventual, replica-1 out of rotation", EVENTUAL, NONE, "replica-2", NONE, out("replica-1")),
                row("eventual, every replica out of rotation: the writer", EVENTUAL, NONE, "primary", NONE, out("replica-1"), out("replica-2")),
                row("eventual, replica-1 stalled", EVENTUAL, NONE, "replica-2", NONE, stalled("replica-1")),
                row("eventual, no writer and no replica: nowhere", EVENTUAL, NONE, NONE, NONE, out("replica-1"), out("replica-2"), noWriter()),
                row("strong, no writer: nowhere", STRONG, NONE, NONE, NONE, noWriter()),
                row("eventual, no writer: a replica still", EVENTUAL, NONE, "replica-1", NONE, noWriter()),
                // lag
                row("bounded, replica-1 lags 5 s", BOUNDED, NONE, "replica-2", NONE, lag("replica-1", 5_000)),
                row("bounded, replica-1 lag unknown", BOUNDED, NONE, "replica-2", NONE, lagUnknown("replica-1")),
                row("bounded, both lag: the writer", BOUNDED, NONE, "primary", NONE, lag("replica-1", 5_000), lag("replica-2", 2_000)),
                row("bounded, lag exactly the bound", BOUNDED, NONE, "replica-1", NONE, lag("replica-1", 1_000)),
                row("eventual ignores lag", EVENTUAL, NONE, "replica-1", NONE, lag("replica-1", 60_000)),
                // breaker
                row("eventual, replica-1's breaker open", EVENTUAL, NONE, "replica-2", NONE, open("replica-1")),
                row("eventual, both replicas' breakers open: the writer", EVENTUAL, NONE, "primary", NONE, open("replica-1"), open("replica-2")),
                // weights and in-flight
                row("weights: the heavier replica first", EVENTUAL, NONE, "replica-2", NONE, weight("replica-2", 3)),
                leastInFlight("least in flight: the idler replica", "replica-2", inFlight("replica-1", 5), inFlight("replica-2", 1)),
                leastInFlight("least in flight skips an idle replica out of rotation", "replica-1", inFlight("replica-1", 5), out("replica-2")),
                // refused endpoint
                row("eventual, replica-1 refused: replica-2", EVENTUAL, "replica-1", "replica-2", NONE),
                row("eventual, replica-1 refused, replica-2 out: the writer", EVENTUAL, "replica-1", "primary", NONE, out("replica-2")),
                row("eventual, the writer refused and no replica: nowhere", EVENTUAL, "primary", NONE, NONE, out("replica-1"), out("replica-2")),
                row("strong, the writer refused: nowhere", STRONG, "primary", NONE, NONE),
                // read-your-writes with a token
                ryw("token replayed by replica-2 only", false, NONE, "replica-2", NONE, replayed("replica-2", 2_000)),
                ryw("token replayed by none: the writer, replica-1 worth a check", false, NONE, "primary", "replica-1"),
                ryw("token replayed by none, replica-1 refused: replica-2 worth a check", false, "replica-1", "primary", "replica-2"),
                ryw("token replayed by none and no replica readable: the writer, no check", false, NONE, "primary", NONE,
                        out("replica-1"), open("replica-2")),
                ryw("uncertain session: the writer, no check", true, NONE, "primary", NONE, replayed("replica-1", 2_000)),
                ryw("token replayed exactly", false, NONE, "replica-1", NONE, replayed("replica-1", 1_000)),
                ryw("token replayed by none and no writer: nowhere", false, NONE, NONE, NONE, noWriter()),
                // pool saturation (every connection lent out, callers queued)
                row("eventual, replica-1 saturated: replica-2", EVENTUAL, NONE, "replica-2", NONE, saturated("replica-1")),
                row("eventual, both replicas saturated: the writer", EVENTUAL, NONE, "primary", NONE, saturated("replica-1"),
                        saturated("replica-2")),
                row("eventual, everything saturated: a replica still", EVENTUAL, NONE, "replica-1", NONE, saturated("replica-1"),
                        saturated("replica-2"), saturated("primary")),
                row("eventual, both replicas saturated, the writer refused: a replica", EVENTUAL, "primary", "replica-1", NONE,
                        saturated("replica-1"), saturated("replica-2")),
                row("eventual, replica-2 saturated, replica-1 out: the writer", EVENTUAL, NONE, "primary", NONE, out("replica-1"),
                        saturated("replica-2")),
                row("eventual, both saturated, no writer: a replica", EVENTUAL, NONE, "replica-1", NONE, saturated("replica-1"),
                        saturated("replica-2"), noWriter()),
                row("bounded, the one replica within the lag saturated: the writer", BOUNDED, NONE, "primary", NONE,
                        lag("replica-1", 5_000), saturated("replica-2")),
                row("strong, the writer saturated: the writer", STRONG, NONE, "primary", NONE, saturated("primary")),
                leastInFlight("least in flight passes over a saturated idler replica", "replica-1", inFlight("replica-1", 5),
                        saturated("replica-2")),
                ryw("token replayed by replica-2 only, saturated: the writer", false, NONE, "primary", "replica-1",
                        replayed("replica-2", 2_000), saturated("replica-2")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void choosesAsTheTableSays(Case row) {
        List<EndpointState> endpoints = healthyCluster();
        for (UnaryOperator<List<EndpointState>> change : row.changes()) {
            endpoints = change.apply(endpoints);
        }
        EndpointSelector selector = new EndpointSelector(ReplicaSelector.of(row.selection(), endpoints.size()));
        EndpointSelector.Choice choice = selector.choose(
                new EndpointSelector.Read(row.consistency(), row.token(), row.uncertain(), indexOf(endpoints, row.refused())), endpoints);
        assertThat(nameAt(endpoints, choice.endpoint())).as("endpoint").isEqualTo(row.expected());
        assertThat(nameAt(endpoints, choice.replayCheck())).as("replay check").isEqualTo(row.replayCheck());
    }

    @Test
    void aRefusedReplicaFallsBackToTheNextEligibleOneAndThenToTheWriter() {
        List<EndpointState> endpoints = healthyCluster();
        EndpointSelector selector = new EndpointSelector(ReplicaSelector.of(ReplicaSelection.WEIGHTED_ROUND_ROBIN, endpoints.size()));
        int first = selector.choose(new EndpointSelector.Read(EVENTUAL, Optional.empty(), false, EndpointSelector.NONE), endpoints).endpoint();
        int fallback = selector.choose(new EndpointSelector.Read(EVENTUAL, Optional.empty(), false, first), endpoints).endpoint();
        assertThat(nameAt(endpoints, first)).startsWith("replica-");
        assertThat(fallback).as("the fallback never returns to the refused replica").isNotEqualTo(first);
        assertThat(nameAt(endpoints, fallback)).startsWith("replica-");

        List<EndpointState> oneReplica = out("replica-2").apply(endpoints);
        int refusedOnly = indexOf(oneReplica, "replica-1");
        assertThat(nameAt(oneReplica, selector.choose(new EndpointSelector.Read(EVENTUAL, Optional.empty(), false, refusedOnly), oneReplica)
                .endpoint())).isEqualTo("primary");
    }

    private static Arguments row(String name, ReadConsistency consistency, String refused, String expected, String replayCheck,
                                 UnaryOperator<List<EndpointState>>... changes) {
        return Arguments.of(new Case(name, consistency, Optional.empty(), false, refused, List.of(changes),
                ReplicaSelection.WEIGHTED_ROUND_ROBIN, expected, replayCheck));
    }

    private static Arguments leastInFlight(String name, String expected, UnaryOperator<List<EndpointState>>... changes) {
        return Arguments.of(new Case(name, EVENTUAL, Optional.empty(), false, NONE, List.of(changes), ReplicaSelection.LEAST_IN_FLIGHT,
                expected, NONE));
    }

    private static Arguments ryw(String name, boolean uncertain, String refused, String expected, String replayCheck,
                                 UnaryOperator<List<EndpointState>>... changes) {
        return Arguments.of(new Case(name, RYW, Optional.of(TOKEN), uncertain, refused, List.of(changes),
                ReplicaSelection.WEIGHTED_ROUND_ROBIN, expected, replayCheck));
    }

    /** The writer (never in read rotation, as the health rounds have it) and two replicas: in rotation, no lag, replayed up to 500 (below the token), breakers closed, weight 1, idle. */
    private static List<EndpointState> healthyCluster() {
        return List.of(
                new EndpointState("primary", true, false, false, true, Optional.empty(), Optional.empty(), 1, 0, false),
                new EndpointState("replica-1", false, true, false, true, Optional.of(Duration.ZERO), Optional.of(new Lsn(500)), 1, 0, false),
                new EndpointState("replica-2", false, true, false, true, Optional.of(Duration.ZERO), Optional.of(new Lsn(500)), 1, 0, false));
    }

    private static UnaryOperator<List<EndpointState>> change(String name, UnaryOperator<EndpointState> change) {
        return endpoints -> {
            List<EndpointState> changed = new ArrayList<>(endpoints);
            changed.replaceAll(e -> e.name().equals(name) ? change.apply(e) : e);
            return changed;
        };
    }

    private static UnaryOperator<List<EndpointState>> out(String name) {
        return change(name, e -> new EndpointState(e.name(), e.writer(), false, e.stalled(), e.breakerAllows(), e.lag(), e.replayed(),
                e.weight(), e.inFlight(), e.saturated()));
    }

    private static UnaryOperator<List<EndpointState>> stalled(String name) {
        return change(name, e -> new EndpointState(e.name(), e.writer(), e.inRotation(), true, e.breakerAllows(), e.lag(), e.replayed(),
                e.weight(), e.inFlight(), e.saturated()));
    }

    private static UnaryOperator<List<EndpointState>> open(String name) {
        return change(name, e -> new EndpointState(e.name(), e.writer(), e.inRotation(), e.stalled(), false, e.lag(), e.replayed(),
                e.weight(), e.inFlight(), e.saturated()));
    }

    private static UnaryOperator<List<EndpointState>> lag(String name, long millis) {
        return change(name, e -> new EndpointState(e.name(), e.writer(), e.inRotation(), e.stalled(), e.breakerAllows(),
                Optional.of(Duration.ofMillis(millis)), e.replayed(), e.weight(), e.inFlight(), e.saturated()));
    }

    private static UnaryOperator<List<EndpointState>> lagUnknown(String name) {
        return change(name, e -> new EndpointState(e.name(), e.writer(), e.inRotation(), e.stalled(), e.breakerAllows(),
                Optional.empty(), e.replayed(), e.weight(), e.inFlight(), e.saturated()));
    }

    private static UnaryOperator<List<EndpointState>> replayed(String name, long lsn) {
        return change(name, e -> new EndpointState(e.name(), e.writer(), e.inRotation(), e.stalled(), e.breakerAllows(), e.lag(),
                Optional.of(new Lsn(lsn)), e.weight(), e.inFlight(), e.saturated()));
    }

    private static UnaryOperator<List<EndpointState>> weight(String name, int weight) {
        return change(name, e -> new EndpointState(e.name(), e.writer(), e.inRotation(), e.stalled(), e.breakerAllows(), e.lag(),
                e.replayed(), weight, e.inFlight(), e.saturated()));
    }

    private static UnaryOperator<List<EndpointState>> inFlight(String name, int inFlight) {
        return change(name, e -> new EndpointState(e.name(), e.writer(), e.inRotation(), e.stalled(), e.breakerAllows(), e.lag(),
                e.replayed(), e.weight(), inFlight, e.saturated()));
    }

    private static UnaryOperator<List<EndpointState>> saturated(String name) {
        return change(name, e -> new EndpointState(e.name(), e.writer(), e.inRotation(), e.stalled(), e.breakerAllows(), e.lag(),
                e.replayed(), e.weight(), e.inFlight(), true));
    }

    private static UnaryOperator<List<EndpointState>> noWriter() {
        return endpoints -> endpoints.stream().map(e -> new EndpointState(e.name(), false, e.name().startsWith("replica") && e.inRotation(),
                e.stalled(), e.breakerAllows(), e.lag(), e.replayed(), e.weight(), e.inFlight(), e.saturated())).toList();
    }

    private static int indexOf(List<EndpointState> endpoints, String name) {
        for (int i = 0; i < endpoints.size(); i++) {
            if (endpoints.get(i).name().equals(name)) {
                return i;
            }
        }
        return EndpointSelector.NONE;
    }

    private static String nameAt(List<EndpointState> endpoints, int index) {
        return index == EndpointSelector.NONE ? NONE : endpoints.get(index).name();
    }
}
