package io.reactivedb.routing;

import java.time.Duration;
import java.util.Objects;

/**
 * How fresh a read must be. Replicas over the health monitor's lag limit are out of rotation for
 * every level.
 *
 * <ul>
 *   <li>{@link #strong()}: the writable primary.</li>
 *   <li>{@link #readYourWrites()}: a replica whose replay position has reached the caller's
 *       {@link ConsistencyToken} (carried by a {@link ConsistencyTracker} in the Reactor Context),
 *       else the primary. Without a token it behaves as {@link #eventual()}.</li>
 *   <li>{@link #boundedStaleness(Duration)}: a replica whose measured lag is within the bound, else
 *       the primary.</li>
 *   <li>{@link #eventual()} (the default): any replica in rotation, else the primary.</li>
 * </ul>
 */
public final class ReadConsistency {

    /** The kinds of consistency. */
    public enum Level { STRONG, READ_YOUR_WRITES, BOUNDED_STALENESS, EVENTUAL }

    private static final ReadConsistency STRONG = new ReadConsistency(Level.STRONG, Duration.ZERO);
    private static final ReadConsistency READ_YOUR_WRITES = new ReadConsistency(Level.READ_YOUR_WRITES, Duration.ZERO);
    private static final ReadConsistency EVENTUAL = new ReadConsistency(Level.EVENTUAL, Duration.ZERO);

    private final Level level;
    private final Duration maxLag;

    private ReadConsistency(Level level, Duration maxLag) {
        this.level = level;
        this.maxLag = maxLag;
    }

    public static ReadConsistency strong() {
        return STRONG;
    }

    public static ReadConsistency readYourWrites() {
        return READ_YOUR_WRITES;
    }

    public static ReadConsistency eventual() {
        return EVENTUAL;
    }

    /** A replica whose lag, as last measured, is at most {@code maxLag} (> 0). */
    public static ReadConsistency boundedStaleness(Duration maxLag) {
        Objects.requireNonNull(maxLag, "maxLag");
        if (maxLag.isNegative() || maxLag.isZero()) {
            throw new IllegalArgumentException("maxLag must be > 0 but was " + maxLag);
        }
        return new ReadConsistency(Level.BOUNDED_STALENESS, maxLag);
    }

    public Level level() {
        return level;
    }

    /** The bound of {@link Level#BOUNDED_STALENESS}; zero for the other levels. */
    public Duration maxLag() {
        return maxLag;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ReadConsistency that && level == that.level && maxLag.equals(that.maxLag);
    }

    @Override
    public int hashCode() {
        return Objects.hash(level, maxLag);
    }

    @Override
    public String toString() {
        return level == Level.BOUNDED_STALENESS ? "BOUNDED_STALENESS(" + maxLag + ")" : level.name();
    }
}
