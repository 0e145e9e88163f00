package io.reactivedb.r2dbc;

import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.RowMetadata;
import io.reactivedb.routing.BorrowedConnection;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * A result whose consumption tells its connection how the reply went: fully read (in step), failed,
 * or cancelled part way (rows may still be on their way, so the release must resynchronise; see
 * r2dbc-pool#198).
 */
final class TrackedResult implements Result {

    private final Result result;
    private final RoutedConnection owner;
    private final BorrowedConnection connection;

    TrackedResult(Result result, RoutedConnection owner, BorrowedConnection connection) {
        this.result = result;
        this.owner = owner;
        this.connection = connection;
    }

    private <T> Flux<T> tracked(Publisher<T> consumption) {
        return Flux.from(consumption)
                .doOnComplete(() -> owner.finished(connection))
                .doOnError(error -> owner.failed(connection, error))
                .doOnCancel(owner::cancelled);
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
        return new TrackedResult(result.filter(filter), owner, connection);
    }

    @Override
    public <T> Publisher<T> flatMap(Function<Segment, ? extends Publisher<? extends T>> mappingFunction) {
        return tracked(result.flatMap(mappingFunction));
    }
}
