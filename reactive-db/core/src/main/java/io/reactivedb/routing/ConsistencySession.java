package io.reactivedb.routing;

import io.reactivedb.health.Lsn;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * The read-your-writes state of one caller (a request, a user session), carried in the Reactor
 * Context. After each write or transaction commit the router advances it to the primary's WAL
 * position; {@link ReadConsistency#readYourWrites()} reads then go only to replicas that have
 * replayed that far. Thread-safe; the token only moves forward.
 *
 * <pre>{@code
 * ConsistencySession session = ConsistencySession.start(tokenFromHeaderOrNull);
 * router.write(...).then(router.read(ReadConsistency.readYourWrites(), ...).next())
 *       .contextWrite(session::into);
 * String header = session.token().map(ConsistencyToken::toString).orElse(null);
 * }</pre>
 */
public final class ConsistencySession {

    private static final Object KEY = ConsistencySession.class;

    private final AtomicReference<@Nullable ConsistencyToken> token;
    private volatile boolean uncertain;

    private ConsistencySession(@Nullable ConsistencyToken initial) {
        this.token = new AtomicReference<>(initial);
    }

    /** A session that starts from {@code initial} (for example from a request header), or from nothing. */
    public static ConsistencySession start(@Nullable ConsistencyToken initial) {
        return new ConsistencySession(initial);
    }

    /** The session in {@code context}, if any. */
    public static Optional<ConsistencySession> from(ContextView context) {
        return context.getOrEmpty(KEY);
    }

    /** {@code context} with this session; use with {@code contextWrite(session::into)}. */
    public Context into(Context context) {
        return context.put(KEY, this);
    }

    /** The position of the last write seen by this session. */
    public Optional<ConsistencyToken> token() {
        return Optional.ofNullable(token.get());
    }

    /** Moves the token forward to {@code lsn} (never back). */
    public void advance(Lsn lsn) {
        token.accumulateAndGet(new ConsistencyToken(lsn),
                (current, next) -> current == null || next.lsn().compareTo(current.lsn()) > 0 ? next : current);
    }

    /**
     * A write's position could not be read back: from now on this session's read-your-writes reads
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
        return "ConsistencySession[token=" + token.get() + (uncertain ? ", uncertain" : "") + "]";
    }
}
