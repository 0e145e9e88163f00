package io.reactivedb.routing;

import io.reactivedb.internal.reactive.OperatorVerification;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;

/** The Reactive Streams TCK on {@link Observed}, counting and told of each end. */
public class ObservedTckTest extends OperatorVerification {

    @Override
    protected Flux<Integer> apply(Flux<Integer> source) {
        return new Observed<>(source, new AtomicInteger(), new AtomicLong(), (signal, error) -> { });
    }
}
