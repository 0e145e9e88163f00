package io.reactivedb.internal.resilience;

import io.reactivedb.resilience.RetrySettings;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.DoubleSupplier;

/**
 * The delay before a retry: exponential, capped, jittered, and bounded by the total time. A pure
 * function of its arguments; the randomness comes in as an argument so that tests can fix it.
 *
 * <p>Attempts are numbered from 1 (the first try, which has no delay). Before attempt {@code n >= 2}
 * the exponential delay is {@code initialDelay * multiplier^(n - 2)}, capped at {@code maxDelay}; the
 * jitter then scales it by a factor drawn uniformly from {@code 1 - jitter} to 1.
 *
 * <p>The random values come from a {@link DoubleSupplier}; pass {@code generator::nextDouble} of a
 * {@link java.util.random.RandomGenerator} such as {@link java.util.concurrent.ThreadLocalRandom}
 * (never {@code SecureRandom}, which may block), or a constant in tests.
 */
public final class Backoff {

    private static final double NANOS_PER_SECOND = 1_000_000_000.0;

    private Backoff() {
    }

    /**
     * The delay before attempt {@code attempt} without jitter: {@code initialDelay *
     * multiplier^(attempt - 2)}, at most {@code maxDelay}.
     *
     * @throws IllegalArgumentException when {@code attempt < 2}
     */
    public static Duration exponentialDelay(int attempt, RetrySettings settings) {
        Objects.requireNonNull(settings, "settings");
        if (attempt < 2) {
            throw new IllegalArgumentException("attempt must be >= 2 (the first try has no delay) but was " + attempt);
        }
        double seconds = seconds(settings.initialDelay()) * Math.pow(settings.multiplier(), attempt - 2.0);
        if (!(seconds < seconds(settings.maxDelay()))) {
            return settings.maxDelay();
        }
        return ofSeconds(seconds);
    }

    /**
     * The jittered delay before attempt {@code attempt}, or empty when there must be no such attempt:
     * {@code attempt} exceeds {@link RetrySettings#maxAttempts()}, or the attempt would start more
     * than {@link RetrySettings#maxTotalTime()} after the first one started.
     *
     * @param elapsed time since the first attempt started
     * @param random  a value in {@code [0, 1]} per call; 0 gives the shortest delay
     *                ({@code (1 - jitter)} of the exponential one), 1 the exponential delay itself
     * @throws IllegalArgumentException when {@code attempt < 2} or {@code random} returns a value
     *                                  outside {@code [0, 1]}
     */
    public static Optional<Duration> delay(int attempt, Duration elapsed, RetrySettings settings, DoubleSupplier random) {
        Objects.requireNonNull(elapsed, "elapsed");
        Objects.requireNonNull(random, "random");
        Duration exponential = exponentialDelay(attempt, settings);
        if (attempt > settings.maxAttempts()) {
            return Optional.empty();
        }
        Duration jittered = exponential;
        if (settings.jitter() > 0) {
            double r = random.getAsDouble();
            if (!(r >= 0.0 && r <= 1.0)) {
                throw new IllegalArgumentException("random must return a value in [0, 1] but returned " + r);
            }
            jittered = ofSeconds(seconds(exponential) * (1.0 - settings.jitter() + settings.jitter() * r));
        }
        if (elapsed.plus(jittered).compareTo(settings.maxTotalTime()) > 0) {
            return Optional.empty();
        }
        return Optional.of(jittered);
    }

    private static double seconds(Duration d) {
        return d.getSeconds() + d.getNano() / NANOS_PER_SECOND;
    }

    private static Duration ofSeconds(double seconds) {
        long whole = (long) Math.floor(seconds);
        long nanos = Math.round((seconds - whole) * NANOS_PER_SECOND);
        return Duration.ofSeconds(whole, nanos);
    }
}
