package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.internal.pool.Deadlines;
import io.reactivedb.internal.pool.EndpointPool;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;

/** The arithmetic of a unit's wait for a connection, on virtual time (the pools are never used). */
class ConnectionWaitTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
    private final Deadlines deadlines = new Deadlines(clock);
    private final EndpointPool primary = pool("primary");
    private final EndpointPool replica = pool("replica-1");

    private EndpointPool pool(String name) {
        EndpointSettings settings = EndpointSettings.builder().name(name).host("127.0.0.1").port(1).build();
        return EndpointPool.create(settings, PoolSettings.builder().minIdle(0).build(), SessionSettings.defaults(), deadlines);
    }

    @AfterEach
    void close() {
        deadlines.dispose();
        primary.close().subscribe();
        replica.close().subscribe();
        clock.dispose();
    }

    private ConnectionWait unit(Context context) {
        return ConnectionWait.of(ConnectionWait.put(context, TIMEOUT, clock), TIMEOUT, clock);
    }

    @Test
    void attemptsThatGetNoConnectionShareOneDeadlineWhichIsAlsoTheirRetriesLatestStart() {
        ConnectionWait wait = unit(Context.empty());
        assertThat(wait.getAsLong()).as("no retry bound before the unit waits").isEqualTo(Long.MAX_VALUE);
        clock.advanceTimeBy(Duration.ofMillis(500));

        assertThat(wait.begin()).isTrue();
        assertThat(wait.getAsLong()).isEqualTo(2500);
        clock.advanceTimeBy(Duration.ofMillis(1200)); // the first attempt's acquisition failed after 1200 ms
        assertThat(wait.begin()).as("a retry continues the wait").isFalse();
        assertThat(wait.remaining()).isEqualTo(Duration.ofMillis(800));
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(wait.remaining()).isZero();
    }

    @Test
    void aConnectionEndsTheWaitSoAnAttemptAfterFailedWorkWaitsAfresh() {
        ConnectionWait wait = unit(Context.empty());
        wait.begin();
        clock.advanceTimeBy(Duration.ofMillis(300));
        ConnectionWait.Holding holding = wait.handedOver(primary);
        assertThat(holding.waitedMillis()).isEqualTo(300);
        assertThat(wait.getAsLong()).isEqualTo(Long.MAX_VALUE);

        clock.advanceTimeBy(Duration.ofSeconds(10)); // the work ran, then failed with a serialization conflict
        assertThat(wait.begin()).isTrue();
        assertThat(wait.remaining()).isEqualTo(TIMEOUT);
    }

    @Test
    void aUnitRunInsideAnotherWaitsOnlyWhatTheEnclosingUnitsLeftAndKnowsWhichPoolsTheyHold() {
        ConnectionWait outer = unit(Context.empty());
        outer.begin();
        clock.advanceTimeBy(Duration.ofMillis(1500));
        Context work = ConnectionWait.holding(Context.empty(), outer.handedOver(primary));
        clock.advanceTimeBy(Duration.ofSeconds(5)); // the outer unit's work runs: that is not waiting

        ConnectionWait inner = unit(work);
        assertThat(inner.nestedOn(primary)).isTrue();
        assertThat(inner.nestedOn(replica)).isFalse();
        assertThat(inner.begin()).isFalse();
        assertThat(inner.remaining()).isEqualTo(Duration.ofMillis(500));

        clock.advanceTimeBy(Duration.ofMillis(200));
        Context innerWork = ConnectionWait.holding(work, inner.handedOver(replica));
        ConnectionWait innermost = unit(innerWork);
        assertThat(innermost.nestedOn(replica)).isTrue();
        assertThat(innermost.nestedOn(primary)).isTrue();
        innermost.begin();
        assertThat(innermost.remaining()).isEqualTo(Duration.ofMillis(300));

        ConnectionWait late = unit(ConnectionWait.holding(Context.empty(), new ConnectionWait.Holding(primary, 2500, null)));
        late.begin();
        assertThat(late.remaining()).as("an idle connection may still be taken, nothing waited for").isZero();
    }

    @Test
    void withoutRetriesEachAttemptIsItsOwnUnit() {
        ConnectionWait first = ConnectionWait.of(Context.empty(), TIMEOUT, clock);
        ConnectionWait second = ConnectionWait.of(Context.empty(), TIMEOUT, clock);
        assertThat(first).isNotSameAs(second);
        assertThat(first.begin()).isTrue();
        assertThat(second.begin()).isTrue();
    }
}
