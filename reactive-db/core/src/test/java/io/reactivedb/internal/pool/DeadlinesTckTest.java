package io.reactivedb.internal.pool;

import io.reactivedb.internal.reactive.OperatorVerification;
import java.time.Duration;
import org.testng.annotations.AfterClass;
import reactor.core.publisher.Flux;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The Reactive Streams TCK on a {@link Deadlines}-guarded publisher. Its scheduler's virtual clock
 * never moves, so no deadline passes: the operator is checked as a pass-through.
 */
public class DeadlinesTckTest extends OperatorVerification {

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();
    private final Deadlines deadlines = new Deadlines(clock);

    @Override
    protected Flux<Integer> apply(Flux<Integer> source) {
        // A cancel reaches the source after the subscriber marked itself done: one tick then lets
        // the sweep unlink it, as the next real tick would (rule 3.13: references dropped eventually).
        return source.doOnCancel(() -> clock.advanceTimeBy(Deadlines.TICK)).transform(deadlines.within(Duration.ofMinutes(1)));
    }

    @AfterClass
    public void stopSweeps() {
        deadlines.dispose();
        clock.dispose();
    }
}
