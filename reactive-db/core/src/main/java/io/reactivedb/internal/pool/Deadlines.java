package io.reactivedb.internal.pool;

import io.reactivedb.internal.reactive.PassThroughSubscriber;
import java.time.Duration;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;

/**
 * Timeouts without a timer per operation, for query timeouts and pool acquire timeouts. A unit of work registers its deadline in a queue; one
 * sweep per {@code tick} on the router's scheduler fails the units whose deadline has passed with a
 * {@link TimeoutException} and cancels them (for a unit of work, the router then cancels the
 * statement on the server). Registering is one lock-free enqueue; a unit that ends only marks
 * itself done and the next sweep unlinks it. That is much cheaper than scheduling and cancelling a
 * task on a {@code ScheduledExecutorService}, which showed as the largest single cost of the
 * router's hot path in the benchmark's profile (r2dbc-pool arms such a timer for every acquire,
 * even when a connection is idle), and cheaper than a concurrent set, whose removal locks a bin. A
 * timeout fires between its deadline and one tick later.
 */
public final class Deadlines implements Disposable {

    /** Sweep interval: the timeouts' precision. */
    static final Duration TICK = Duration.ofMillis(10);

    private final Scheduler scheduler;
    private final ConcurrentLinkedQueue<DeadlineSubscriber<?>> pending = new ConcurrentLinkedQueue<>();
    /** Grouped subscriptions registered so far: each takes the next number, for {@link #mark()}. */
    private final AtomicLong registrations = new AtomicLong();
    private final Disposable sweeper;

    public Deadlines(Scheduler scheduler) {
        this.scheduler = scheduler;
        this.sweeper = Flux.interval(TICK, TICK, scheduler).onBackpressureDrop().subscribe(tick -> sweep());
    }

    /** The scheduler the sweeps run on. */
    Scheduler scheduler() {
        return scheduler;
    }

    /** An operator that fails the flux with a {@link TimeoutException} when it has not terminated within {@code timeout}. */
    public <T> Function<Flux<T>, Flux<T>> within(Duration timeout) {
        return within(timeout, late -> { });
    }

    /**
     * As {@link #within(Duration)}; an element that arrives after the deadline fired (a race with
     * the sweep) goes to {@code late}, which must release it: a connection that comes out of the
     * pool at that instant goes back. The deadline is taken at subscription.
     */
    public <T> Function<Flux<T>, Flux<T>> within(Duration timeout, Consumer<? super T> late) {
        long timeoutMillis = timeout.toMillis();
        return flux -> new FluxDeadline<>(flux, this, timeoutMillis, late, null);
    }

    /**
     * As {@link #within(Duration, Consumer)}, for a source of at most one element (a pool's
     * acquire), with each subscription registered under {@code group}, so that
     * {@link #failPending(Object, Supplier)} can end them all at once. The element ends the
     * subscription: a failure that comes between it and the source's completion finds it done, and
     * does not cancel the source under a caller that holds what it handed over.
     */
    public <T> Function<Flux<T>, Flux<T>> within(Duration timeout, Consumer<? super T> late, Object group) {
        Objects.requireNonNull(group, "group");
        long timeoutMillis = timeout.toMillis();
        return flux -> new FluxDeadline<>(flux, this, timeoutMillis, late, group);
    }

    /**
     * Ends every registered, unfinished subscription of {@code group} now with an error from
     * {@code error} (one per subscription), as if its deadline had passed with that error instead of
     * the timeout's (its upstream is cancelled first). For a pool's acquisitions: when the server is
     * known to be down, the ones queued would each wait for an attempt of their own that fails the
     * same way.
     *
     * @return how many were ended
     */
    public int failPending(Object group, Supplier<? extends Throwable> error) {
        return failPending(group, error, Long.MAX_VALUE);
    }

    /**
     * The registrations so far: a subscription of a group registered after this call has a number
     * above it. Taken when something starts whose failure says nothing about what queues after it
     * (an attempt to open a connection: one queued later gets an attempt of its own, which may read
     * a rotated password or find the server back).
     */
    public long mark() {
        return registrations.get();
    }

    /**
     * As {@link #failPending(Object, Supplier)}, for the subscriptions registered up to {@code mark}
     * (a value of {@link #mark()}) only.
     */
    public int failPending(Object group, Supplier<? extends Throwable> error, long mark) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(error, "error");
        int failed = 0;
        for (DeadlineSubscriber<?> subscriber : pending) {
            if (subscriber.group == group && subscriber.order <= mark && !subscriber.done() && subscriber.failWith(error.get())) {
                failed++;
            }
        }
        return failed;
    }

    /** Units registered and not yet unlinked by a sweep (ended ones included until the next sweep); for tests. */
    int registered() {
        return pending.size();
    }

    private void sweep() {
        if (pending.isEmpty()) {
            return;
        }
        long now = scheduler.now(TimeUnit.MILLISECONDS);
        for (Iterator<DeadlineSubscriber<?>> it = pending.iterator(); it.hasNext(); ) {
            DeadlineSubscriber<?> subscriber = it.next();
            if (subscriber.done()) {
                it.remove();
            } else if (now >= subscriber.deadline) {
                it.remove();
                subscriber.expire();
            }
        }
    }

    @Override
    public void dispose() {
        sweeper.dispose();
    }

    @Override
    public boolean isDisposed() {
        return sweeper.isDisposed();
    }

    /** A plain operator class rather than {@code Operators.lift}, which names each lifted publisher by building a string per subscription. */
    private static final class FluxDeadline<T> extends FluxOperator<T, T> {
        private final Deadlines owner;
        private final long timeoutMillis;
        private final Consumer<? super T> late;

        private final @Nullable Object group;

        FluxDeadline(Flux<? extends T> source, Deadlines owner, long timeoutMillis, Consumer<? super T> late, @Nullable Object group) {
            super(source);
            this.owner = owner;
            this.timeoutMillis = timeoutMillis;
            this.late = late;
            this.group = group;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            // Serialized: the sweep's onError may race with an onNext on the connection's thread.
            source.subscribe(new DeadlineSubscriber<T>(Operators.serialize(actual),
                    owner.scheduler.now(TimeUnit.MILLISECONDS) + timeoutMillis, timeoutMillis, owner, late, group));
        }
    }

    /**
     * Its Context is read once (see {@link PassThroughSubscriber}): the driver and the pool look it
     * up several times per statement (r2dbc-pool's discard-on-cancel, Reactor's discard hooks).
     */
    private static final class DeadlineSubscriber<T> extends PassThroughSubscriber<T> {
        private final long deadline;
        private final long timeoutMillis;
        private final Deadlines owner;
        private final Consumer<? super T> late;
        /** What {@link Deadlines#failPending} ends it with, or null. */
        final @Nullable Object group;
        /** Its number among the grouped registrations ({@link Deadlines#mark()}); 0 without a group. */
        long order;

        DeadlineSubscriber(CoreSubscriber<? super T> actual, long deadline, long timeoutMillis, Deadlines owner, Consumer<? super T> late,
                           @Nullable Object group) {
            super(actual);
            this.late = late;
            this.deadline = deadline;
            this.timeoutMillis = timeoutMillis;
            this.owner = owner;
            this.group = group;
        }

        @Override
        protected void subscribed() {
            if (group != null) {
                order = owner.registrations.incrementAndGet();
            }
            owner.pending.offer(this);
            super.subscribed();
        }

        @Override
        public void onNext(T value) {
            if (group != null) {
                // One element at most: it ends the subscription (see within(..., group)).
                if (tryEnd()) {
                    actual.onNext(value);
                    actual.onComplete();
                } else {
                    late.accept(value);
                }
                return;
            }
            if (isEnded()) {
                late.accept(value);
                return;
            }
            actual.onNext(value);
        }

        /** Terminated, cancelled or expired; a sweep unlinks a done subscriber. */
        boolean done() {
            return isEnded();
        }

        void expire() {
            failWith(new TimeoutException("Did not terminate within " + timeoutMillis + " ms"));
        }

        /** Cancels the upstream and fails the subscriber with {@code error}, unless it is done already. */
        boolean failWith(Throwable error) {
            return fail(error);
        }
    }
}
