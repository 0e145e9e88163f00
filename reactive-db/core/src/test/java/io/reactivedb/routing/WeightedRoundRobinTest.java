package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.pool.EndpointPool;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WeightedRoundRobinTest {

    private final List<Endpoint> replicas = List.of(replica("replica-1", 5), replica("replica-2", 3), replica("replica-3", 1));

    @AfterEach
    void closePools() {
        replicas.forEach(r -> r.pool().close().subscribe());
    }

    private static Endpoint replica(String name, int weight) {
        EndpointSettings settings = EndpointSettings.builder().name(name).role(EndpointRole.REPLICA).host("127.0.0.1").port(1)
                .weight(weight).build();
        // The pool is never used: selection only reads weights and rotation flags.
        return new Endpoint(settings, EndpointPool.create(settings, PoolSettings.builder().minIdle(0).build(), SessionSettings.defaults(),
                new io.reactivedb.pool.Deadlines(reactor.core.scheduler.Schedulers.parallel())));
    }

    @Test
    void everyCycleGivesEachReplicaItsWeight() {
        WeightedRoundRobin selector = new WeightedRoundRobin(replicas);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 9 * 100; i++) {
            counts.merge(selector.select(replicas, Endpoint::isInRotation).name(), 1, Integer::sum);
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
        WeightedRoundRobin selector = new WeightedRoundRobin(replicas);
        replicas.get(0).inRotation(false);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4 * 100; i++) {
            counts.merge(selector.select(replicas, Endpoint::isInRotation).name(), 1, Integer::sum);
        }
        assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of("replica-2", 300, "replica-3", 100));
        replicas.forEach(r -> r.inRotation(false));
        assertThat(selector.select(replicas, Endpoint::isInRotation)).isNull();
    }

    @Test
    void leastInFlightPicksTheIdlestAndSpreadsTies() {
        LeastInFlight selector = new LeastInFlight();
        replicas.get(0).inFlightCounter().set(4);
        replicas.get(1).inFlightCounter().set(1);
        replicas.get(2).inFlightCounter().set(2);
        assertThat(selector.select(replicas, Endpoint::isInRotation).name()).isEqualTo("replica-2");

        replicas.forEach(r -> r.inFlightCounter().set(0));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            counts.merge(selector.select(replicas, Endpoint::isInRotation).name(), 1, Integer::sum);
        }
        assertThat(counts).containsOnly(Map.entry("replica-1", 10), Map.entry("replica-2", 10), Map.entry("replica-3", 10));
    }
}
