package io.reactivedb.web.admin;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import reactor.core.scheduler.Scheduler;

/**
 * Generic cell rate algorithm per key: a burst of {@code requests}, then one request every
 * {@code period / requests}. Time from the scheduler's clock, so tests run it on virtual time.
 * Thread-safe; state is one timestamp per key, and keys whose allowance is full again are dropped.
 */
public final class RateLimiter {

    /** Keys kept before idle ones are swept. */
    private static final int SWEEP_ABOVE = 10_000;

    private final long intervalNanos;
    private final long burstNanos;
    private final Scheduler clock;
    private final ConcurrentHashMap<String, Long> theoreticalArrival = new ConcurrentHashMap<>();

    /** The outcome: allowed, or refused with the wait until the next request would be allowed. */
    public record Decision(boolean allowed, Duration retryAfter) {
    }

    public RateLimiter(int requests, Duration period, Scheduler clock) {
        if (requests < 1) {
            throw new IllegalArgumentException("requests must be >= 1 but was " + requests);
        }
        if (period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("period must be > 0 but was " + period);
        }
        this.intervalNanos = period.toNanos() / requests;
        this.burstNanos = period.toNanos();
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Whether {@link #tryAcquire} would allow a request for this key now, without taking it. */
    public Decision peek(String key) {
        long now = clock.now(TimeUnit.NANOSECONDS);
        Long arrival = theoreticalArrival.get(key);
        long base = arrival == null || arrival < now ? now : arrival;
        long wait = base + intervalNanos - now - burstNanos;
        return wait > 0 ? new Decision(false, Duration.ofNanos(wait)) : new Decision(true, Duration.ZERO);
    }

    /**
     * Gives back one request taken by {@link #tryAcquire} for this key (a reservation that turned
     * out not to count, such as a credential check that succeeded).
     */
    public void refund(String key) {
        long now = clock.now(TimeUnit.NANOSECONDS);
        theoreticalArrival.computeIfPresent(key, (k, arrival) -> {
            long earlier = arrival - intervalNanos;
            return earlier <= now ? null : earlier;
        });
    }

    public Decision tryAcquire(String key) {
        long now = clock.now(TimeUnit.NANOSECONDS);
        if (theoreticalArrival.size() > SWEEP_ABOVE) {
            theoreticalArrival.values().removeIf(arrival -> arrival <= now);
        }
        long[] wait = {0};
        theoreticalArrival.compute(key, (k, arrival) -> {
            long base = arrival == null || arrival < now ? now : arrival;
            long next = base + intervalNanos;
            if (next - now > burstNanos) {
                wait[0] = next - now - burstNanos;
                return arrival;
            }
            return next;
        });
        return wait[0] == 0 ? new Decision(true, Duration.ZERO) : new Decision(false, Duration.ofNanos(wait[0]));
    }
}
