package io.reactivedb.routing;

import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A result of a traced execution: its reading tells the {@link StatementRun} when it ended, failed or was given up. */
final class TracedResult implements Result {

    private final Result result;
    private final StatementRun run;

    TracedResult(Result result, StatementRun run) {
        this.result = result;
        this.run = run;
    }

    /** A {@link Mono} stays one, so that {@code Mono.from} of it reads it to its end instead of cancelling it. */
    private <T> Publisher<T> traced(Publisher<T> reading) {
        if (reading instanceof Mono<T> single) {
            return single.doOnSuccess(value -> run.resultRead()).doOnError(run::failed).doOnCancel(run::cancelled);
        }
        return Flux.from(reading).doOnComplete(run::resultRead).doOnError(run::failed).doOnCancel(run::cancelled);
    }

    @Override
    public Publisher<Long> getRowsUpdated() {
        return traced(result.getRowsUpdated());
    }

    @Override
    public <T> Publisher<T> map(BiFunction<Row, RowMetadata, ? extends T> mappingFunction) {
        return traced(result.map(mappingFunction));
    }

    @Override
    public <T> Publisher<T> map(Function<? super Readable, ? extends T> mappingFunction) {
        return traced(result.map(mappingFunction));
    }

    @Override
    public Result filter(Predicate<Segment> filter) {
        return new TracedResult(result.filter(filter), run);
    }

    @Override
    public <T> Publisher<T> flatMap(Function<Segment, ? extends Publisher<? extends T>> mappingFunction) {
        return traced(result.flatMap(mappingFunction));
    }
}
