package io.reactivedb.routing;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Smooth weighted round robin: the order is computed once from the weights (each replica appears
 * {@code weight} times per cycle, spread out rather than in runs), and a counter walks it. A replica
 * out of rotation is skipped, so its share goes to the next ones in the cycle.
 */
final class WeightedRoundRobin implements ReplicaSelector {

    private final int[] order;
    private final AtomicLong next = new AtomicLong();

    WeightedRoundRobin(List<Endpoint> replicas) {
        this.order = smoothOrder(replicas.stream().mapToInt(e -> e.settings().weight()).toArray());
    }

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

    @Override
    public @Nullable Endpoint select(List<Endpoint> replicas) {
        int length = order.length;
        if (length == 0) {
            return null;
        }
        long start = next.getAndIncrement();
        for (int i = 0; i < length; i++) {
            Endpoint candidate = replicas.get(order[(int) ((start + i) % length)]);
            if (candidate.isInRotation()) {
                return candidate;
            }
        }
        return null;
    }
}
