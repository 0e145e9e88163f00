package io.reactivedb.internal.pool;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Tells BlockHound about the blocking-looking calls of the libraries underneath that run on
 * event-loop threads and wait for no I/O.
 *
 * <p>r2dbc-postgresql's SCRAM-SHA-256 authentication (ongres scram-client) draws its client nonce
 * from {@code SecureRandom}, which on Linux reads {@code /dev/urandom} through a
 * {@code FileInputStream}. That read never waits for entropy once the kernel is booted, so it is
 * allowed here rather than moving authentication off the event loop. Found by the router's
 * BlockHound-instrumented tests: without this allowance every scram login fails on the event loop,
 * and r2dbc-postgresql then leaves the half-authenticated socket open until the server's
 * {@code authentication_timeout}.
 *
 * <p>With TLS, r2dbc-postgresql builds a new {@code SslContext} for every connection on the event
 * loop ({@code SSLContext.init} draws from {@code SecureRandom}), and the handshake draws from it
 * again. Those draws are the same non-waiting {@code /dev/urandom} reads, so reads inside
 * {@code NativePRNG}'s buffer refill are allowed too. Certificate and key files are read when the
 * connection configuration is built (pool creation), not on the event loop.
 *
 * <p>Resilience4j 2.x records every call outcome of a circuit breaker in a sliding window guarded by
 * a {@code ReentrantLock} (held for a few field updates). When two event loops record at the same
 * instant, one parks for that moment, which BlockHound reports; the wait is bounded by the other
 * thread's few instructions, not by I/O, so it is allowed here; the same holds for the lock around
 * the open-to-half-open transition and the one in its event processor.
 *
 * <p>Netty 4.2's adaptive buffer allocator retires a magazine under a {@code StampedLock} write
 * lock ({@code Magazine.free}, {@code MagazineGroup.free}, reached from {@code allocate} when the
 * magazines are expanded). Only when two event loops contend for it does one park, for the few
 * instructions the other holds it; Netty's own BlockHound integration (4.2.18) allows only the
 * allocator's thread-local set-up. Seen under CPU contention in the 10,000-cancel test, where the
 * error surfaced inside a socket read and closed the connection.
 *
 * <p>Reactor 3.8's own integration allows the cancel of a one-shot timer task (its lock on the
 * scheduler's {@code DelayedWorkQueue}) but not of a periodic one. The router cancels periodic
 * tasks on {@code parallel} threads (its deadline sweep at shutdown, the health monitor's interval),
 * where that same lock can be contended for a moment; those disposals are allowed as well.
 *
 * <p>Registered through {@code META-INF/services}; applications that install BlockHound pick it up.
 */
public final class DriverBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("com.ongres.scram.common.ScramFunctions", "nonce");
        builder.allowBlockingCallsInside("sun.security.provider.NativePRNG$RandomIO", "implNextBytes");
        for (String window : new String[] {"FixedSizeSlidingWindowMetrics", "SlidingTimeWindowMetrics"}) {
            builder.allowBlockingCallsInside("io.github.resilience4j.core.metrics." + window, "record");
            builder.allowBlockingCallsInside("io.github.resilience4j.core.metrics." + window, "getSnapshot");
        }
        builder.allowBlockingCallsInside("io.github.resilience4j.circuitbreaker.internal.CircuitBreakerStateMachine", "stateTransition");
        builder.allowBlockingCallsInside("io.github.resilience4j.circuitbreaker.internal.CircuitBreakerStateMachine$OpenState", "toHalfOpenState");
        builder.allowBlockingCallsInside("io.github.resilience4j.core.EventProcessor", "registerConsumer");
        builder.allowBlockingCallsInside("io.github.resilience4j.core.EventProcessor", "onEvent");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "free");
        for (String periodic : new String[] {"PeriodicWorkerTask", "InstantPeriodicWorkerTask", "PeriodicSchedulerTask"}) {
            builder.allowBlockingCallsInside("reactor.core.scheduler." + periodic, "dispose");
        }
    }
}
