package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WeightedRoundRobinTest {

    private final List<EndpointState> replicas = new ArrayList<>(List.of(
            replica("replica-1", 5, true, 0), replica("replica-2", 3, true, 0), replica("replica-3", 1, true, 0)));

    private static EndpointState replica(String name, int weight, boolean inRotation, int inFlight) {
        return new EndpointState(name, false, inRotation, false, true, Optional.empty(), Optional.empty(), weight, inFlight, false);
    }

    private String pick(ReplicaSelector selector) {
        return replicas.get(selector.select(replicas, i -> replicas.get(i).inRotation())).name();
    }

    @Test
    void everyCycleGivesEachReplicaItsWeight() {
        WeightedRoundRobin selector = new WeightedRoundRobin(replicas.size());
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 9 * 100; i++) {
            counts.merge(pick(selector), 1, Integer::sum);
        }
        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of("replica-1", 500, "replica-2", 300, "replica-3", 100));
    }

    @Test
    void orderIsSpreadNotInRuns() {
        int[] order = WeightedRoundRobin.smoothOrder(new int[] {5, 1, 1});
        assertThat(order).hasSize(7);
        // The heavy replica never takes more than two slots in a row: the light ones are interleaved.
        int run = 0;
        int longest = 0;
        for (int slot : order) {
            run = slot == 0 ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        assertThat(longest).isLessThanOrEqualTo(3);
        assertThat(order).containsOnlyOnce(1, 2);
    }

    @Test
    void skipsReplicasOutOfRotationAndKeepsTheOthersShares() {
        WeightedRoundRobin selector = new WeightedRoundRobin(replicas.size());
        replicas.set(0, replica("replica-1", 5, false, 0));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4 * 100; i++) {
            counts.merge(pick(selector), 1, Integer::sum);
        }
        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of("replica-2", 300, "replica-3", 100));
        replicas.replaceAll(r -> replica(r.name(), r.weight(), false, 0));
        assertThat(selector.select(replicas, i -> replicas.get(i).inRotation())).isEqualTo(ReplicaSelector.NONE);
    }

    @Test
    void leastInFlightPicksTheIdlestAndSpreadsTies() {
        LeastInFlight selector = new LeastInFlight();
        replicas.set(0, replica("replica-1", 5, true, 4));
        replicas.set(1, replica("replica-2", 3, true, 1));
        replicas.set(2, replica("replica-3", 1, true, 2));
        assertThat(pick(selector)).isEqualTo("replica-2");

        replicas.replaceAll(r -> replica(r.name(), r.weight(), true, 0));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            counts.merge(pick(selector), 1, Integer::sum);
        }
        assertThat(counts).containsOnly(Map.entry("replica-1", 10), Map.entry("replica-2", 10), Map.entry("replica-3", 10));
    }

    @Test
    void moreEndpointsThanAMaskAddressesAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WeightedRoundRobin(WeightedRoundRobin.MAX_ENDPOINTS + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
