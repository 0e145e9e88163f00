package io.reactivedb.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import reactor.core.publisher.Mono;

/**
 * Polls a condition about real servers until it holds, for integration tests: a bounded wait, not
 * a timing assertion. Called on the test thread only.
 */
public final class Await {

    private static final Duration POLL = Duration.ofMillis(50);

    private Await() {
    }

    /**
     * @throws AssertionError naming {@code what} when {@code condition} does not hold within {@code timeout}
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Mono.delay(POLL).block();
        }
    }
}
