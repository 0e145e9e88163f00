package io.reactivedb.r2dbc;

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

/**
 * A result whose consumption tells its {@link Reply} how it went: read to its end, or failed. A
 * consumption cancelled part way says nothing: rows may still be on their way, and the statement
 * stays in flight for the release.
 */
final class TrackedResult implements Result {

    private final Result result;
    private final Reply reply;

    TrackedResult(Result result, Reply reply) {
        this.result = result;
        this.reply = reply;
    }

    /**
     * A {@link Mono} stays one (the driver's {@code getRowsUpdated()}): {@code Mono.from} of a
     * {@code Flux} cancels it at its first element, and the count read to its end would then look
     * abandoned.
     */
    private <T> Publisher<T> tracked(Publisher<T> consumption) {
        if (consumption instanceof Mono<T> single) {
            return single.doOnSuccess(value -> reply.resultRead()).doOnError(reply::failed);
        }
        return Flux.from(consumption)
                .doOnComplete(reply::resultRead)
                .doOnError(reply::failed);
    }

    @Override
    public Publisher<Long> getRowsUpdated() {
        return tracked(result.getRowsUpdated());
    }

    @Override
    public <T> Publisher<T> map(BiFunction<Row, RowMetadata, ? extends T> mappingFunction) {
        return tracked(result.map(mappingFunction));
    }

    @Override
    public <T> Publisher<T> map(Function<? super Readable, ? extends T> mappingFunction) {
        return tracked(result.map(mappingFunction));
    }

    @Override
    public Result filter(Predicate<Segment> filter) {
        return new TrackedResult(result.filter(filter), reply);
    }

    @Override
    public <T> Publisher<T> flatMap(Function<Segment, ? extends Publisher<? extends T>> mappingFunction) {
        return tracked(result.flatMap(mappingFunction));
    }
}
