package io.reactivedb.routing;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.FluxSink;

/**
 * One subscriber of {@link ReactiveDbRouter#notifications(String...)}: its channels and its bounded
 * buffer. Events are emitted only as the subscriber requests them, so a slow subscriber fills its
 * own buffer and never holds up the others. Overflow policy: when the buffer holds
 * {@code capacity} events, a new notification is dropped for this subscriber and one
 * {@link NotificationEvent.Gap} ({@code OVERFLOW}, since the first drop) is queued behind the
 * buffered events; further drops while that gap is last in the queue add nothing.
 */
final class Mailbox {

    private final Set<String> channels;
    private final int capacity;
    private final Supplier<Instant> clock;
    private final ArrayDeque<NotificationEvent> queue = new ArrayDeque<>(); // guarded by this
    private final AtomicInteger wip = new AtomicInteger();
    private boolean tailIsGap; // guarded by this
    private volatile @Nullable FluxSink<NotificationEvent> sink;
    /** Set while this subscriber waits for listening to be confirmed: the event it then gets (Listening or a Gap). */
    private @Nullable NotificationEvent owed; // guarded by this

    Mailbox(Set<String> channels, int capacity, Supplier<Instant> clock) {
        this.channels = channels;
        this.capacity = capacity;
        this.clock = clock;
    }

    Set<String> channels() {
        return channels;
    }

    void attach(FluxSink<NotificationEvent> sink) {
        this.sink = sink;
        sink.onRequest(n -> drain());
    }

    synchronized boolean owes() {
        return owed != null;
    }

    /** Until {@link #pay()}, notifications are not for this subscriber; then it gets {@code event} first. */
    synchronized void owe(NotificationEvent event) {
        this.owed = event;
    }

    /** Listening is in place for this subscriber: it gets what it is owed, then notifications. */
    void pay() {
        synchronized (this) {
            if (owed == null) {
                return;
            }
            queue.add(owed);
            tailIsGap = owed instanceof NotificationEvent.Gap;
            owed = null;
        }
        drain();
    }

    /** A notification: buffered, or dropped with a gap when the buffer is full; ignored while listening is not confirmed for this subscriber. */
    void offer(NotificationEvent.Notification notification) {
        synchronized (this) {
            if (owed != null) {
                return;
            }
            if (queue.size() >= capacity) {
                if (!tailIsGap) {
                    queue.add(new NotificationEvent.Gap(NotificationEvent.Gap.Reason.OVERFLOW, clock.get()));
                    tailIsGap = true;
                }
                return;
            }
            queue.add(notification);
            tailIsGap = false;
        }
        drain();
    }

    void complete() {
        FluxSink<NotificationEvent> current = sink;
        if (current != null) {
            current.complete();
        }
    }

    private void drain() {
        FluxSink<NotificationEvent> current = sink;
        if (current == null || wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            while (current.requestedFromDownstream() > 0 && !current.isCancelled()) {
                NotificationEvent next;
                synchronized (this) {
                    next = queue.poll();
                    if (queue.isEmpty()) {
                        tailIsGap = false;
                    }
                }
                if (next == null) {
                    break;
                }
                current.next(next);
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }
}
