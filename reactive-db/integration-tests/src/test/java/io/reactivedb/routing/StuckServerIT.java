package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.ReplicaSelection;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevNode;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.testing.Await;
import io.reactivedb.testing.FaultProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A replica that stops answering (its processes stopped with SIGSTOP, or its traffic black-holed)
 * must not stall the reads: 32 closed-loop readers on the library's defaults, the replica frozen
 * for 5 s. The stalled endpoint takes no new reads once nothing has finished there for the stall
 * timeout, and the reads queued for its connections move to the other replica.
 *
 * <p>Before the stall watch, reads completed per 250 ms went {@code 1497 1533 237 0 0 … 0}: every
 * loop ended up parked in the frozen replica's queue until the second failed probe, seconds later.
 */
class StuckServerIT {

    private static final Logger LOG = LoggerFactory.getLogger(StuckServerIT.class);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int LOOPS = 32;
    /** The default pool size (DB_POOL_SIZE): connections one endpoint can hang at most. */
    private static final int POOL_SIZE = 10;
    private static final long WINDOW_MILLIS = 250;
    private static final Duration BEFORE = Duration.ofSeconds(2);
    private static final Duration FROZEN = Duration.ofSeconds(5);
    private static final Duration AFTER = Duration.ofSeconds(1);
    private static DevCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = DevCluster.start(DevClusterOptions.builder().replicas(2).build());
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @Test
    void aFrozenReplicaStallsNoReadWithRoundRobin() {
        DevNode frozen = cluster.replicas().get(0);
        Run run = runFreezing(cluster.settings(), () -> cluster.pause(frozen), () -> cluster.resume(frozen), "replica-1");
        run.assertReadsKeptFlowing();
    }

    @Test
    void aFrozenReplicaStallsNoReadWithLeastInFlight() {
        DevNode frozen = cluster.replicas().get(1);
        ReactiveDbSettings settings = cluster.settings().toBuilder().replicaSelection(ReplicaSelection.LEAST_IN_FLIGHT).build();
        Run run = runFreezing(settings, () -> cluster.pause(frozen), () -> cluster.resume(frozen), "replica-2");
        run.assertReadsKeptFlowing();
    }

    @Test
    void aBlackHoledReplicaStallsNoRead() {
        DevNode replica = cluster.replicas().get(0);
        try (FaultProxy proxy = FaultProxy.start(replica.host(), replica.port())) {
            ReactiveDbSettings direct = cluster.settings();
            ReactiveDbSettings.Builder b = direct.toBuilder().replicas(List.of())
                    .addReplica(direct.replicas().get(0).toBuilder().port(proxy.port()).role(EndpointRole.REPLICA).build())
                    .addReplica(direct.replicas().get(1));
            Run run = runFreezing(b.build(), proxy::blackhole, proxy::heal, "replica-1");
            run.assertReadsKeptFlowing();
        }
    }

    /** Closed-loop reads before, during and after {@code freeze}; returns what was counted. */
    private Run runFreezing(ReactiveDbSettings settings, Runnable freeze, Runnable thaw, String frozenEndpoint) {
        ReactiveDbRouter router = ReactiveDbRouter.create(settings);
        try {
            Await.until("a healthy first round", WAIT,
                    () -> router.health().orElseThrow().current().map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));
            Run run = new Run(frozenEndpoint);
            AtomicBoolean stop = new AtomicBoolean();
            Disposable loops = Flux.range(0, LOOPS)
                    .flatMap(i -> Mono.defer(() -> read(router, run)).repeat(() -> !stop.get()), LOOPS)
                    .subscribe();
            try {
                Await.until("the warm-up", WAIT, () -> run.elapsedMillis() >= BEFORE.toMillis());
                freeze.run();
                run.frozenAt(router.endpoint(frozenEndpoint).orElseThrow().inFlight());
                Await.until("the freeze to last", WAIT, () -> run.elapsedMillis() >= BEFORE.plus(FROZEN).toMillis());
                thaw.run();
                run.thawedAt();
                Await.until("the end", WAIT, () -> run.elapsedMillis() >= BEFORE.plus(FROZEN).plus(AFTER).toMillis());
                stop.set(true);
                // Every loop ends once its read in flight does: those on the frozen server once it answers again.
                Await.until("the loops to end", WAIT, () -> router.endpoints().stream().mapToInt(Endpoint::inFlight).sum() == 0);
            } finally {
                stop.set(true);
                loops.dispose();
            }
            LOG.info("{}", run.describe());
            return run;
        } finally {
            thaw.run();
            router.shutdown(Duration.ofSeconds(10)).block(WAIT);
        }
    }

    private static Mono<Integer> read(ReactiveDbRouter router, Run run) {
        long started = System.nanoTime();
        return router.read(s -> s.query("SELECT 1", row -> row.get(0, Integer.class))).next()
                .doOnNext(one -> run.completed(started))
                .onErrorResume(error -> {
                    run.failed(error);
                    return Mono.empty();
                });
    }

    /** What the readers saw: completions per window, errors, the slowest read started well after the freeze. */
    private static final class Run {
        private final String frozenEndpoint;
        private final long start = System.nanoTime();
        private final AtomicLongArray windows = new AtomicLongArray(200);
        private final AtomicInteger errors = new AtomicInteger();
        private final AtomicReference<Throwable> firstError = new AtomicReference<>();
        private final AtomicLong slowestAfterDetection = new AtomicLong();
        private volatile long frozenAtMillis = Long.MAX_VALUE;
        private volatile long thawedAtMillis = Long.MAX_VALUE;
        private volatile int inFlightAtFreeze;

        Run(String frozenEndpoint) {
            this.frozenEndpoint = frozenEndpoint;
        }

        long elapsedMillis() {
            return (System.nanoTime() - start) / 1_000_000;
        }

        void frozenAt(int inFlight) {
            this.frozenAtMillis = elapsedMillis();
            this.inFlightAtFreeze = inFlight;
        }

        void thawedAt() {
            this.thawedAtMillis = elapsedMillis();
        }

        void completed(long startedNanos) {
            long now = elapsedMillis();
            int window = (int) (now / WINDOW_MILLIS);
            if (window < windows.length()) {
                windows.incrementAndGet(window);
            }
            long startedMillis = (startedNanos - start) / 1_000_000;
            // Started a second after the freeze and before the thaw: it must not have waited for the frozen server.
            if (startedMillis >= frozenAtMillis + 1000 && startedMillis < thawedAtMillis) {
                slowestAfterDetection.accumulateAndGet(now - startedMillis, Math::max);
            }
        }

        void failed(Throwable error) {
            errors.incrementAndGet();
            firstError.compareAndSet(null, error);
        }

        /** Completions per window from the first full window after the freeze to the thaw. */
        List<Long> frozenWindows() {
            List<Long> counts = new ArrayList<>();
            for (long w = frozenAtMillis / WINDOW_MILLIS + 1; (w + 1) * WINDOW_MILLIS <= thawedAtMillis; w++) {
                counts.add(windows.get((int) w));
            }
            return counts;
        }

        String describe() {
            List<Long> all = new ArrayList<>();
            for (int w = 0; w * WINDOW_MILLIS < thawedAtMillis + AFTER.toMillis() && w < windows.length(); w++) {
                all.add(windows.get(w));
            }
            return frozenEndpoint + " frozen at " + frozenAtMillis + " ms with " + inFlightAtFreeze + " unit(s) in flight, thawed at "
                    + thawedAtMillis + " ms; reads per " + WINDOW_MILLIS + " ms: " + all + "; errors " + errors.get()
                    + "; slowest read started 1 s after the freeze: " + slowestAfterDetection.get() + " ms";
        }

        void assertReadsKeptFlowing() {
            List<Long> frozen = frozenWindows();
            // The first second after the freeze is for detection: the stall timeout (500 ms) and a retry.
            List<Long> afterDetection = frozen.subList(Math.min(frozen.size(), (int) (1000 / WINDOW_MILLIS)), frozen.size());
            assertThat(afterDetection).as(describe()).isNotEmpty().allSatisfy(count -> assertThat(count).isPositive());
            assertThat(slowestAfterDetection.get()).as(describe()).isLessThan(2000);
            // Errors only for units whose statement went to the frozen server: those in flight there at
            // the freeze, or sent on one of its connections before the stall was seen (a black hole
            // drops their bytes, so they end at the query timeout). At most its pool's size.
            assertThat(errors.get()).as(describe() + "; first error: " + firstError.get())
                    .isLessThanOrEqualTo(Math.max(inFlightAtFreeze, POOL_SIZE));
        }
    }
}
