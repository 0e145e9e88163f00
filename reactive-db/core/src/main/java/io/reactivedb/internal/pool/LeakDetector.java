package io.reactivedb.internal.pool;

import io.reactivedb.pool.LeakDetection;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.ContextView;

/**
 * Warns about connections held too long ({@link LeakDetection}). Each hand-over of a connection
 * schedules one task on the router's scheduler, {@code threshold} ahead, and its release cancels it:
 * no thread and no polling per connection, and nothing at all when detection is off. A connection
 * still held when its task runs gets exactly one WARN (operation, endpoint, trace id when known,
 * where it was acquired when stack traces are on); one that comes back after its WARN gets one INFO
 * with how long it was held. The lines carry no SQL, values or credentials. Thread-safe.
 *
 * <p>Use: {@link #origin} at the subscription of the acquisition (the caller's stack and Context are
 * there; at the hand-over the stack is the pool's), {@link #watch} at the hand-over, and
 * {@link Watch#returned()} when the release starts.
 */
public final class LeakDetector {

    private static final Logger log = LoggerFactory.getLogger(LeakDetector.class);
    private static final LeakDetector OFF = new LeakDetector(LeakDetection.off(), null);

    private final @Nullable Duration threshold;
    private final long thresholdNanos;
    private final LeakDetection settings;
    private final @Nullable Scheduler scheduler;

    private LeakDetector(LeakDetection settings, @Nullable Scheduler scheduler) {
        this.settings = settings;
        this.scheduler = scheduler;
        this.threshold = scheduler == null ? null : settings.threshold().orElse(null);
        this.thresholdNanos = threshold == null ? 0 : threshold.toNanos();
    }

    /** A detector with {@code settings}, timed by {@code scheduler}; one that does nothing when they are off. */
    public static LeakDetector create(LeakDetection settings, Scheduler scheduler) {
        return settings.threshold().isPresent() ? new LeakDetector(settings, scheduler) : OFF;
    }

    /** A detector that watches nothing. */
    public static LeakDetector off() {
        return OFF;
    }

    /** Whether connections are watched. */
    public boolean isOn() {
        return threshold != null;
    }

    /**
     * What the WARN will say about who acquired a connection: call at the acquisition's subscription.
     *
     * @param operation the unit's or loan's name, for example {@code read}, {@code transaction} or
     *                  {@code connection loan (write)}
     * @param context   the subscription's Reactor Context, read for a trace id
     */
    public Origin origin(String operation, ContextView context) {
        if (threshold == null) {
            return Origin.NONE;
        }
        String traceId = settings.traceId(context).orElse(null);
        return new Origin(operation, traceId, settings.capturesStackTraces() ? new AcquiredAt(operation) : null);
    }

    /**
     * Starts watching a connection of {@code endpoint} handed over to {@code origin}.
     *
     * @return the watch, to be told when the connection comes back
     */
    public Watch watch(Origin origin, String endpoint) {
        Scheduler clock = scheduler;
        if (threshold == null || clock == null || origin == Origin.NONE) {
            return Watch.NONE;
        }
        Held held = new Held(origin, endpoint, clock.now(TimeUnit.NANOSECONDS));
        try {
            held.timer = clock.schedule(held::expired, thresholdNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            return Watch.NONE; // the scheduler is shut down: the router is closing
        }
        if (held.state == Held.RETURNED) {
            held.timer.dispose(); // returned while the timer was being armed
        }
        return held;
    }

    /** Who acquired a connection: operation, trace id and (when captured) the stack at subscription. */
    public record Origin(String operation, @Nullable String traceId, @Nullable Throwable acquiredAt) {
        /** The origin of every acquisition when detection is off. */
        public static final Origin NONE = new Origin("", null, null);
    }

    /** A watched connection; {@link #returned()} ends the watch (later calls do nothing). */
    @FunctionalInterface
    public interface Watch {
        /** A watch that does nothing. */
        Watch NONE = () -> { };

        /** The connection is being given back (its release started). */
        void returned();
    }

    /** Shown as the WARN's cause: the stack of the acquisition's subscription. */
    static final class AcquiredAt extends Throwable {
        AcquiredAt(String operation) {
            super("connection acquired here by " + operation, null, false, true);
        }
    }

    private final class Held implements Watch {
        static final int HELD = 0;
        static final int WARNED = 1;
        static final int RETURNED = 2;
        private static final AtomicIntegerFieldUpdater<Held> STATE = AtomicIntegerFieldUpdater.newUpdater(Held.class, "state");

        private final Origin origin;
        private final String endpoint;
        private final long handedOver;
        volatile int state = HELD;
        volatile @Nullable Disposable timer;

        Held(Origin origin, String endpoint, long handedOver) {
            this.origin = origin;
            this.endpoint = endpoint;
            this.handedOver = handedOver;
        }

        void expired() {
            if (STATE.compareAndSet(this, HELD, WARNED)) {
                warn();
            }
        }

        @Override
        public void returned() {
            int before = STATE.getAndSet(this, RETURNED);
            if (before == HELD) {
                Disposable armed = timer;
                if (armed != null) {
                    armed.dispose();
                }
            } else if (before == WARNED) {
                log.info("[{}] the connection reported as possibly leaked came back after {} ms ({}{})", endpoint, heldMillis(),
                        origin.operation(), traceSuffix());
            }
        }

        private void warn() {
            String message = "[{}] connection held for {} ms, over the leak detection threshold of {} ms, by {}{}: not yet released"
                    + " (or closed, for a connection from the R2DBC ConnectionFactory); possibly leaked{}";
            Throwable site = origin.acquiredAt();
            String hint = site == null ? " (set DB_LEAK_DETECTION_STACK_TRACE=true to see where it was acquired)" : "";
            if (site == null) {
                log.warn(message, endpoint, heldMillis(), threshold == null ? 0 : threshold.toMillis(), origin.operation(), traceSuffix(), hint);
            } else {
                log.warn(message, endpoint, heldMillis(), threshold == null ? 0 : threshold.toMillis(), origin.operation(), traceSuffix(), hint,
                        site);
            }
        }

        private long heldMillis() {
            Scheduler clock = scheduler;
            return clock == null ? 0 : TimeUnit.NANOSECONDS.toMillis(clock.now(TimeUnit.NANOSECONDS) - handedOver);
        }

        private String traceSuffix() {
            return origin.traceId() == null ? "" : ", trace id " + origin.traceId();
        }
    }
}
