package io.reactivedb.routing;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * What {@link ReactiveDbRouter#notifications(String...)} emits to a subscriber: first
 * {@link Listening} once its channels are listened to, then each {@link Notification} of those
 * channels in the order the server sent them, and a {@link Gap} wherever messages may have been
 * missed. A subscriber that keeps derived state (a cache, a view) re-reads it on a {@code Gap}:
 * a {@code Gap} is emitted only once listening is in place again, so nothing after it is missed.
 */
public sealed interface NotificationEvent {

    /**
     * The subscriber's channels are listened to: every notification sent from now on (committed
     * after this) reaches it. Emitted once, first.
     *
     * @param channels the subscriber's channels, as given
     * @param at       when listening was confirmed, by the router's scheduler
     */
    record Listening(Set<String> channels, Instant at) implements NotificationEvent {
        public Listening {
            channels = Set.copyOf(channels);
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * One {@code NOTIFY}.
     *
     * @param channel the channel, as given to {@code notifications}
     * @param payload the payload; empty when none was sent
     * @param pid     the process id of the server session that sent it
     */
    record Notification(String channel, String payload, int pid) implements NotificationEvent {
        public Notification {
            Objects.requireNonNull(channel, "channel");
            Objects.requireNonNull(payload, "payload");
        }
    }

    /**
     * Notifications may have been missed since {@code since}; listening is in place again now.
     *
     * @param reason why
     * @param since  the last moment nothing was missed: when the connection was found lost, the
     *               writer changed, or this subscriber's buffer overflowed (router's scheduler time)
     */
    record Gap(Reason reason, Instant since) implements NotificationEvent {
        public Gap {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(since, "since");
        }

        /** Why a {@link Gap} happened. */
        public enum Reason {
            /** The listener's connection was lost (server restart, {@code pg_terminate_backend}, network) and was opened again. */
            CONNECTION_LOST,
            /** Writes moved to another server (a promotion): the listener now listens there. */
            WRITER_CHANGED,
            /**
             * This subscriber did not request fast enough: its buffer was full and newer
             * notifications were dropped for it (other subscribers are not affected).
             */
            OVERFLOW
        }
    }
}
