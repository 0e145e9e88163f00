package io.reactivedb.internal.pool;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Bounds how fast new connections are opened to one server: at most {@code burst} at once, then
 * one per {@code interval}. After an outage every caller would otherwise reconnect at the same
 * instant; with the limit a recovering server sees a bounded number of logins per second. A
 * connection over the limit waits (on the scheduler, without blocking) until its slot; that wait
 * counts against the pool's create timeout.
 *
 * <p>The bookkeeping is one {@code AtomicLong} (the time the next slot frees up, as in the
 * generic cell rate algorithm); no lock, no timer unless a connection has to wait.
 */
final class ConnectionRateLimiter implements ConnectionFactory {

    private final ConnectionFactory delegate;
    private final Scheduler scheduler;
    private final long intervalNanos;
    private final long burstNanos;
    private final AtomicLong nextFree;
    private final Attempts attempts;
    private final @Nullable Duration openTimeout;

    ConnectionRateLimiter(ConnectionFactory delegate, Scheduler scheduler, int burst, Duration interval) {
        this(delegate, scheduler, burst, interval, null, Attempts.NONE);
    }

    /** Told when an attempt to open a connection starts and when it fails. */
    interface Attempts {
        Attempts NONE = new Attempts() {
            @Override
            public long started() {
                return 0;
            }

            @Override
            public void failed(Throwable failure, long started) {
            }
        };

        /** An attempt starts (after its rate-limit wait); the value comes back to {@link #failed}. */
        long started();

        /** The attempt that {@link #started()} returned {@code started} failed, a timed-out one included. */
        void failed(Throwable failure, long started);
    }

    /**
     * @param openTimeout bounds one attempt to open a connection, login included (the driver's
     *                    connect timeout covers the TCP connect only: a server that accepts and never
     *                    answers would hold the attempt for ever); null for no bound
     * @param attempts    told of every attempt to open a connection and of its failure, a timed-out one
     *                    included (a rate-limit wait is not an attempt)
     */
    ConnectionRateLimiter(ConnectionFactory delegate, Scheduler scheduler, int burst, Duration interval, @Nullable Duration openTimeout,
                          Attempts attempts) {
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be >= 1 but was " + burst);
        }
        this.delegate = delegate;
        this.scheduler = scheduler;
        this.intervalNanos = interval.toNanos();
        this.burstNanos = intervalNanos * (burst - 1);
        this.nextFree = new AtomicLong(Long.MIN_VALUE);
        this.attempts = attempts;
        this.openTimeout = openTimeout;
    }

    /** How long a connection opened now has to wait for its slot; reserves the slot. */
    long reserve() {
        long now = scheduler.now(TimeUnit.NANOSECONDS);
        while (true) {
            long free = nextFree.get();
            // The slot's theoretical time; up to burst - 1 slots may be taken ahead of it.
            long slot = free == Long.MIN_VALUE ? now : Math.max(free, now);
            if (nextFree.compareAndSet(free, slot + intervalNanos)) {
                return Math.max(0, slot - now - burstNanos);
            }
        }
    }

    @Override
    public Publisher<? extends Connection> create() {
        return Mono.defer(() -> {
            long wait = reserve();
            Mono<Connection> open = Mono.defer(this::open);
            return wait == 0 ? open : Mono.delay(Duration.ofNanos(wait), scheduler).then(open);
        });
    }

    /** One attempt, bounded by the open timeout; its start is taken when it is subscribed. */
    private Mono<Connection> open() {
        long started = attempts.started();
        Mono<Connection> open = Mono.<Connection>from(delegate.create());
        if (openTimeout != null) {
            Duration bound = openTimeout;
            open = open.timeout(bound, Mono.error(() -> new R2dbcNonTransientResourceException(
                    "opening a connection (login included) took longer than the connect timeout of " + bound.toMillis() + " ms",
                    "08001")), scheduler);
        }
        return open.doOnError(failure -> attempts.failed(failure, started));
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return delegate.getMetadata();
    }
}
