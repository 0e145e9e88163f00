package io.reactivedb.routing;

import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * Finds endpoints that hold work without finishing any: a server that stopped answering (frozen,
 * swapped out, a network black hole) keeps its connections open, so nothing fails, and the health
 * monitor's probes need their timeout, twice, to count it down. Meanwhile every new unit routed
 * there queues behind the hung ones, and in a closed loop every caller ends up parked there.
 *
 * <p>Every {@code tick} it compares each endpoint's answered units (a row came, or the unit
 * completed, or the server sent an error) with the last check. An endpoint with units in flight
 * and none answered for the stall timeout is <em>suspect</em>: the health monitor is asked for a
 * round at once. One whose pool also has every connection slot taken (lent out or being opened)
 * and acquisitions queued, and that has answered before, is <em>stalled</em>: it takes no new reads, and its queued acquisitions are failed over, until a
 * unit is answered there (or a probe round started after the stall answers: see the router). A
 * saturated healthy server whose queue does not move for that long is shed the same way, which is
 * what its callers want too.
 *
 * <p>Cost on the hot path: one counter increment per unit. Runs on the router's scheduler, so it
 * follows virtual time in tests.
 */
final class StallWatch implements Disposable {

    /** Told about endpoints that need attention; called on the scheduler, must not block. */
    interface Handler {
        /** Units in flight and nothing answered for the stall timeout: worth a probe. */
        void suspect(Endpoint endpoint);

        /** Newly stalled. */
        void stalled(Endpoint endpoint, long inFlight, PoolStatistics pool, long silentMillis);

        /** Still stalled at a later check with acquisitions queued again. */
        void stillStalled(Endpoint endpoint, PoolStatistics pool);

        /** A unit was answered on an endpoint that counted as stalled. */
        void answering(Endpoint endpoint);
    }

    /** What one endpoint looked like at the last check. */
    private static final class Seen {
        long answered;
        long quietSince;
        boolean suspected;
    }

    private final List<Endpoint> endpoints;
    private final long timeoutMillis;
    private final Scheduler scheduler;
    private final Handler handler;
    private final Map<Endpoint, Seen> seen = new IdentityHashMap<>();
    private final Disposable ticks;

    StallWatch(List<Endpoint> endpoints, Duration timeout, Scheduler scheduler, Handler handler) {
        this.endpoints = List.copyOf(endpoints);
        this.timeoutMillis = timeout.toMillis();
        this.scheduler = scheduler;
        this.handler = handler;
        long now = scheduler.now(TimeUnit.MILLISECONDS);
        for (Endpoint endpoint : this.endpoints) {
            Seen first = new Seen();
            first.answered = endpoint.answered();
            first.quietSince = now;
            seen.put(endpoint, first);
        }
        Duration tick = tick(timeout);
        this.ticks = Flux.interval(tick, tick, scheduler).onBackpressureDrop().subscribe(n -> check());
    }

    /** A fifth of the timeout, between 10 and 100 ms: a stall is seen within the timeout plus one tick. */
    static Duration tick(Duration timeout) {
        long millis = Math.max(10, Math.min(100, timeout.toMillis() / 5));
        return Duration.ofMillis(millis);
    }

    /** One check of every endpoint; ticks run one at a time. */
    void check() {
        long now = scheduler.now(TimeUnit.MILLISECONDS);
        for (Endpoint endpoint : endpoints) {
            check(endpoint, seen.get(endpoint), now);
        }
    }

    private void check(Endpoint endpoint, Seen last, long now) {
        long answered = endpoint.answered();
        boolean progressed = answered != last.answered;
        if (progressed || endpoint.inFlight() == 0) {
            last.answered = answered;
            last.quietSince = now;
            last.suspected = false;
            if (progressed && endpoint.isStalled()) {
                endpoint.stalledSince(Endpoint.NOT_STALLED);
                handler.answering(endpoint);
            }
            return;
        }
        long silent = now - last.quietSince;
        if (silent < timeoutMillis) {
            return;
        }
        if (!last.suspected) {
            last.suspected = true;
            handler.suspect(endpoint);
        }
        PoolStatistics pool = endpoint.poolStatistics();
        // Stalled only with every connection slot taken (lent out, or being opened: a login to a
        // server that stopped answering hangs until the connect timeout) and callers queued, on an
        // endpoint that has answered before (a cold pool's first logins are not a stall).
        if (pool.pending() == 0 || pool.allocated() < pool.max() || answered == 0) {
            return;
        }
        if (!endpoint.isStalled()) {
            endpoint.stalledSince(now);
            handler.stalled(endpoint, endpoint.inFlight(), pool, silent);
        } else {
            handler.stillStalled(endpoint, pool);
        }
    }

    @Override
    public void dispose() {
        ticks.dispose();
    }

    @Override
    public boolean isDisposed() {
        return ticks.isDisposed();
    }
}
