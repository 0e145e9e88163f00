package io.reactivedb.internal.pool;

import io.reactivedb.internal.reactive.OperatorVerification;
import java.time.Duration;
import org.testng.annotations.AfterClass;
import reactor.core.publisher.Flux;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The Reactive Streams TCK on a publisher guarded by {@link Deadlines} under a group, as a pool's
 * acquire is: at most one element, which ends the subscription.
 */
public class GroupedDeadlinesTckTest extends OperatorVerification {

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
    private final Deadlines deadlines = new Deadlines(clock);

    @Override
    protected Flux<Integer> apply(Flux<Integer> source) {
        // A cancel reaches the source after the subscriber marked itself done: one tick then lets
        // the sweep unlink it, as the next real tick would (rule 3.13: references dropped eventually).
        return source.doOnCancel(() -> clock.advanceTimeBy(Deadlines.TICK)).transform(deadlines.within(Duration.ofMinutes(1), late -> { }, this));
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }

    @AfterClass
    public void stopSweeps() {
        deadlines.dispose();
        clock.dispose();
    }
}
