package io.reactivedb.web.demo;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * At most {@code limit} page reads of streamed listings run at once, across every stream
 * ({@code reactive-db.demo.max-concurrent-page-reads}, default {@value #DEFAULT_LIMIT}); the others wait
 * their turn without a connection. A stream's server-side writes fill the client's socket buffers
 * page after page, so without this a few slow readers starting together take every replica
 * connection until their buffers are full, and point reads queue behind them.
 *
 * <p>Waiting is a queue of subscribers, never a blocked thread; a cancelled waiter leaves the queue,
 * and a turn handed to a subscriber that was cancelled meanwhile is passed on (the permit is released
 * when Reactor discards it).
 */
@Component
public class PageReads {

    static final int DEFAULT_LIMIT = 4;

    private final int limit;
    private final ArrayDeque<MonoSink<Permit>> waiting = new ArrayDeque<>();
    private int running;
    private final AtomicLong started = new AtomicLong();

    public PageReads(@Value("${reactive-db.demo.max-concurrent-page-reads:" + DEFAULT_LIMIT + "}") int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("reactive-db.demo.max-concurrent-page-reads must be >= 1 but was " + limit);
        }
        this.limit = limit;
    }

    /** Runs {@code read} once a turn is free; the turn ends with it (value, error or cancel). */
    public <T> Mono<T> run(Mono<T> read) {
        return Mono.usingWhen(turn(), permit -> {
                    started.incrementAndGet();
                    return read;
                }, Permit::release, (permit, error) -> permit.release(), Permit::release);
    }

    /** Page reads started since this was made: how far streams have read ahead of their clients. */
    public long started() {
        return started.get();
    }

    /** Page reads running now. */
    synchronized int running() {
        return running;
    }

    private Mono<Permit> turn() {
        return Mono.<Permit>create(sink -> {
            boolean now;
            synchronized (this) {
                now = running < limit;
                if (now) {
                    running++;
                } else {
                    waiting.add(sink);
                }
            }
            if (now) {
                sink.success(new Permit());
            } else {
                sink.onCancel(() -> forget(sink));
            }
        }).doOnDiscard(Permit.class, Permit::release);
    }

    private synchronized void forget(MonoSink<Permit> sink) {
        waiting.remove(sink);
    }

    /** A finished read's turn goes to the next waiter, or is given back. */
    private void passOn() {
        MonoSink<Permit> next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                running--;
                return;
            }
        }
        next.success(new Permit());
    }

    /** One turn; released once, whoever releases it first. */
    private final class Permit {
        private final AtomicBoolean released = new AtomicBoolean();

        Mono<Void> release() {
            if (released.compareAndSet(false, true)) {
                passOn();
            }
            return Mono.empty();
        }
    }
}
