package io.reactivedb.r2dbc;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Flux;

/** A batch of a {@link RoutedConnection}: statements are collected, then sent on the bound connection. */
final class RoutedBatch implements Batch {

    private final RoutedConnection connection;
    private final List<String> statements = new ArrayList<>();

    RoutedBatch(RoutedConnection connection) {
        this.connection = connection;
    }

    @Override
    public Batch add(String sql) {
        statements.add(Objects.requireNonNull(sql, "sql"));
        return this;
    }

    @Override
    public Flux<Result> execute() {
        List<String> recorded = List.copyOf(statements);
        return connection.execute(borrowed -> {
            Batch batch = borrowed.batch();
            recorded.forEach(batch::add);
            return batch.execute();
        });
    }
}
