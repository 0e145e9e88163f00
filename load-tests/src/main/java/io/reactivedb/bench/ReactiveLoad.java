package io.reactivedb.bench;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A Reactor client: {@code concurrency} loops, each subscribing to the next operation when the last one ends. */
final class ReactiveLoad implements Load {

    private final IntFunction<? extends Mono<?>> operation;
    private final int rows;

    /** @param operation the operation on account {@code id} (1..rows); must emit at most one element */
    ReactiveLoad(int rows, IntFunction<? extends Mono<?>> operation) {
        this.operation = operation;
        this.rows = rows;
    }

    @Override
    public void run(long endNanos, int concurrency, Recorder recorder) {
        Flux.range(0, concurrency)
                .flatMap(worker -> Mono.defer(() -> {
                            long started = System.nanoTime();
                            int id = ThreadLocalRandom.current().nextInt(1, rows + 1);
                            return operation.apply(id)
                                    .doOnSuccess(value -> recorder.success(started))
                                    .onErrorResume(error -> {
                                        recorder.failure(error);
                                        return Mono.empty();
                                    });
                        })
                        .repeat(() -> System.nanoTime() < endNanos), concurrency)
                .blockLast();
    }
}
