package io.reactivedb.routing;

import io.reactivedb.health.Lsn;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Tracks the read-your-writes position of one caller (a request, a user's browser session),
 * carried in the Reactor Context: the newest {@link ConsistencyToken} it has seen. After each write or transaction commit the router advances it to the primary's WAL
 * position; {@link ReadConsistency#readYourWrites()} reads then go only to replicas that have
 * replayed that far. Thread-safe; the token only moves forward.
 *
 * <pre>{@code
 * ConsistencyTracker tracker = ConsistencyTracker.start(tokenFromHeaderOrNull);
 * router.write(...).then(router.read(ReadConsistency.readYourWrites(), ...).next())
 *       .contextWrite(tracker::into);
 * String header = tracker.token().map(ConsistencyToken::toString).orElse(null);
 * }</pre>
 */
public final class ConsistencyTracker {

    private static final Object KEY = ConsistencyTracker.class;

    private final AtomicReference<@Nullable ConsistencyToken> token;
    private volatile boolean uncertain;

    private ConsistencyTracker(@Nullable ConsistencyToken initial) {
        this.token = new AtomicReference<>(initial);
    }

    /** A tracker that starts from {@code initial} (for example from a request header), or from nothing. */
    public static ConsistencyTracker start(@Nullable ConsistencyToken initial) {
        return new ConsistencyTracker(initial);
    }

    /** The tracker in {@code context}, if any. */
    public static Optional<ConsistencyTracker> from(ContextView context) {
        return context.getOrEmpty(KEY);
    }

    /** {@code context} with this tracker; use with {@code contextWrite(tracker::into)}. */
    public Context into(Context context) {
        return context.put(KEY, this);
    }

    /** The position of the last write seen by this tracker. */
    public Optional<ConsistencyToken> token() {
        return Optional.ofNullable(token.get());
    }

    /** Moves the token forward to {@code lsn} (never back). */
    public void advance(Lsn lsn) {
        token.accumulateAndGet(new ConsistencyToken(lsn),
                (current, next) -> current == null || next.lsn().compareTo(current.lsn()) > 0 ? next : current);
    }

    /**
     * A write's position could not be read back: from now on this tracker's read-your-writes reads
     * go to the primary, the only place sure to show it.
     */
    void markUncertain() {
        uncertain = true;
    }

    boolean isUncertain() {
        return uncertain;
    }

    @Override
    public String toString() {
        return "ConsistencyTracker[token=" + token.get() + (uncertain ? ", uncertain" : "") + "]";
    }
}
