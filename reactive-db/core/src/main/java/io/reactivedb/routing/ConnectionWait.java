package io.reactivedb.routing;

import io.reactivedb.internal.pool.EndpointPool;
import io.reactivedb.internal.resilience.RetryOperator;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * One unit of work's wait for a connection, so that a caller waits for connections no longer than
 * the acquire timeout ({@code DB_POOL_TIMEOUT}) in all, whatever the retry settings:
 *
 * <ul>
 *   <li>the attempts of a unit share one deadline from the moment the first of them began to wait
 *       until one gets a connection: a retry after a failed acquisition waits only what is left, and
 *       the retry operator starts none at or after the deadline (this is its
 *       {@linkplain RetryOperator#withLatestStart latest start}); a unit that got a connection and
 *       failed later (a serialization conflict) waits afresh on its next attempt;</li>
 *   <li>a unit run inside another unit's work (nested) may wait only what the enclosing units have
 *       left of the acquire timeout after their own waits; and when an enclosing unit holds a
 *       connection of the same pool, its acquisition is counted as nested, so that the pool's
 *       timeout can say that its connections are held by units waiting for another one.</li>
 * </ul>
 *
 * <p>The router puts one per unit subscription into the Reactor Context ({@link #put}); the work of
 * a unit sees what the units it runs in hold ({@link #holding}). Attempts of one unit run one after
 * the other, so plain volatile fields suffice. Time is the router's scheduler's.
 */
final class ConnectionWait implements LongSupplier {

    private static final Object KEY = new Object() {
        @Override
        public String toString() {
            return "ConnectionWait";
        }
    };
    private static final Object HOLDING = new Object() {
        @Override
        public String toString() {
            return "ConnectionWait.holding";
        }
    };
    private static final long NOT_WAITING = Long.MIN_VALUE;

    private final Scheduler scheduler;
    private final long timeoutMillis;
    private final @Nullable Holding enclosing;
    /** When the current wait began, in scheduler milliseconds; {@link #NOT_WAITING} outside a wait. */
    private volatile long since = NOT_WAITING;
    private volatile long deadline;

    private ConnectionWait(Scheduler scheduler, Duration timeout, @Nullable Holding enclosing) {
        this.scheduler = scheduler;
        this.timeoutMillis = timeout.toMillis();
        this.enclosing = enclosing;
    }

    /** {@code context} with a fresh wait for the unit subscribed with it, which is also its retries' latest start. */
    static Context put(Context context, Duration acquireTimeout, Scheduler scheduler) {
        ConnectionWait wait = new ConnectionWait(scheduler, acquireTimeout, context.getOrDefault(HOLDING, null));
        return RetryOperator.withLatestStart(context.put(KEY, wait), wait);
    }

    /** The unit's wait from {@code context}, or a fresh one for a unit without retries (one attempt). */
    static ConnectionWait of(ContextView context, Duration acquireTimeout, Scheduler scheduler) {
        ConnectionWait wait = context.getOrDefault(KEY, null);
        return wait != null ? wait : new ConnectionWait(scheduler, acquireTimeout, context.getOrDefault(HOLDING, null));
    }

    /** The work's context: the enclosing units' holdings and this one. */
    static Context holding(Context context, Holding holding) {
        return context.put(HOLDING, holding);
    }

    /**
     * An attempt is about to wait for a connection: the wait begins now, unless an earlier attempt
     * of the unit began it and got no connection since.
     *
     * @return whether the attempt may wait the whole acquire timeout (a new wait, not nested in a
     *         unit that waited)
     */
    boolean begin() {
        if (since != NOT_WAITING) {
            return false;
        }
        long now = now();
        long budget = timeoutMillis - (enclosing == null ? 0 : enclosing.waitedMillis());
        deadline = now + Math.max(0, budget);
        since = now;
        return budget >= timeoutMillis;
    }

    /** What is left of the wait's deadline, at least zero. */
    Duration remaining() {
        return Duration.ofMillis(Math.max(0, deadline - now()));
    }

    /** Whether a unit this one runs in holds a connection of {@code pool}. */
    boolean nestedOn(EndpointPool pool) {
        for (Holding h = enclosing; h != null; h = h.enclosing()) {
            if (h.pool() == pool) {
                return true;
            }
        }
        return false;
    }

    /** The attempt got a connection of {@code pool}: the wait is over. Returns what its work's context carries. */
    Holding handedOver(EndpointPool pool) {
        long began = since;
        since = NOT_WAITING;
        long waited = began == NOT_WAITING ? 0 : Math.max(0, now() - began);
        return new Holding(pool, waited + (enclosing == null ? 0 : enclosing.waitedMillis()), enclosing);
    }

    /** The latest start of a retry: the deadline while waiting, else none. */
    @Override
    public long getAsLong() {
        return since == NOT_WAITING ? Long.MAX_VALUE : deadline;
    }

    private long now() {
        return scheduler.now(TimeUnit.MILLISECONDS);
    }

    /**
     * A connection of {@code pool} held by a unit whose work is running.
     *
     * @param waitedMillis how long that unit and the units it runs in waited for their connections
     * @param enclosing    what the units it runs in hold, or null
     */
    record Holding(EndpointPool pool, long waitedMillis, @Nullable Holding enclosing) {
    }
}
