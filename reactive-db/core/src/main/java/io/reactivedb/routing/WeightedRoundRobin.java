package io.reactivedb.routing;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * Smooth weighted round robin over the endpoints eligible right now. For each set of eligible
 * endpoints the order is computed once (each appears {@code weight} times per cycle, spread out
 * rather than in runs) and cached by the set; a counter walks it. So when a replica leaves
 * rotation the others keep exactly their relative shares.
 */
final class WeightedRoundRobin implements ReplicaSelector {

    /** Endpoints are addressed by bit in a {@code long} mask. */
    static final int MAX_ENDPOINTS = 64;

    /** Orders by eligible set; the weights are the endpoints' configured ones, fixed for a router. */
    private final ConcurrentHashMap<Long, int[]> orders = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong();

    WeightedRoundRobin(int endpoints) {
        if (endpoints > MAX_ENDPOINTS) {
            throw new IllegalArgumentException("at most " + MAX_ENDPOINTS + " endpoints but got " + endpoints);
        }
    }

    /** Slot order for {@code weights}: indexes into the array, each appearing weight times. */
    static int[] smoothOrder(int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int[] order = new int[total];
        int[] current = new int[weights.length];
        for (int slot = 0; slot < total; slot++) {
            int best = 0;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            order[slot] = best;
        }
        return order;
    }

    private static int[] orderFor(long mask, List<EndpointState> endpoints) {
        int members = Long.bitCount(mask);
        int[] index = new int[members];
        int[] memberWeights = new int[members];
        int m = 0;
        for (int i = 0; i < endpoints.size(); i++) {
            if ((mask & (1L << i)) != 0) {
                index[m] = i;
                memberWeights[m] = endpoints.get(i).weight();
                m++;
            }
        }
        int[] order = smoothOrder(memberWeights);
        for (int slot = 0; slot < order.length; slot++) {
            order[slot] = index[order[slot]];
        }
        return order;
    }

    @Override
    public int select(List<EndpointState> endpoints, IntPredicate eligible) {
        long mask = 0;
        for (int i = 0; i < endpoints.size(); i++) {
            if (eligible.test(i)) {
                mask |= 1L << i;
            }
        }
        if (mask == 0) {
            return NONE;
        }
        int[] order = orders.computeIfAbsent(mask, set -> orderFor(set, endpoints));
        return order[(int) Long.remainderUnsigned(next.getAndIncrement(), order.length)];
    }
}
