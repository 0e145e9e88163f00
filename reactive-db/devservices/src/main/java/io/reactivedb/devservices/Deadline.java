package io.reactivedb.devservices;

import java.time.Duration;

/** A point in time by which a multi-step operation must finish. */
final class Deadline {

    private static final Duration MINIMUM_SLICE = Duration.ofSeconds(1);

    private final long endNanos;
    private final Duration total;

    private Deadline(Duration total) {
        this.total = total;
        this.endNanos = System.nanoTime() + total.toNanos();
    }

    static Deadline in(Duration total) {
        return new Deadline(total);
    }

    Duration total() {
        return total;
    }

    boolean expired() {
        return System.nanoTime() - endNanos >= 0;
    }

    /** Time left, but at least one second so that a late step still gets a fair, bounded try. */
    Duration remaining() {
        Duration left = Duration.ofNanos(endNanos - System.nanoTime());
        return left.compareTo(MINIMUM_SLICE) < 0 ? MINIMUM_SLICE : left;
    }
}
