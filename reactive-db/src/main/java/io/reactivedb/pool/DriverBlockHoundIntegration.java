package io.reactivedb.pool;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Tells BlockHound about the one blocking-looking call of the driver stack on an event-loop thread.
 *
 * <p>r2dbc-postgresql's SCRAM-SHA-256 authentication (ongres scram-client) draws its client nonce
 * from {@code SecureRandom}, which on Linux reads {@code /dev/urandom} through a
 * {@code FileInputStream}. That read never waits for entropy once the kernel is booted, so it is
 * allowed here rather than moving authentication off the event loop. Found by the router's
 * BlockHound-instrumented tests: without this allowance every scram login fails on the event loop,
 * and r2dbc-postgresql then leaves the half-authenticated socket open until the server's
 * {@code authentication_timeout}.
 *
 * <p>Registered through {@code META-INF/services}; applications that install BlockHound pick it up.
 */
public final class DriverBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("com.ongres.scram.common.ScramFunctions", "nonce");
    }
}
