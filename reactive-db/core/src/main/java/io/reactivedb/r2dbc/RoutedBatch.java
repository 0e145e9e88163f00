package io.reactivedb.r2dbc;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Result;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Flux;

/** A batch of a {@link RoutedConnection}: statements are collected, then sent on the bound connection. */
final class RoutedBatch implements Batch {

    private final RoutedConnection connection;
    private final List<String> statements = new ArrayList<>();

    RoutedBatch(RoutedConnection connection) {
        this.connection = connection;
    }

    /**
     * @throws IllegalArgumentException when {@code sql} is null or takes parameters (a batch is sent
     *                                  as one simple query, which cannot carry them)
     */
    @Override
    public Batch add(String sql) {
        Arguments.require(sql, "sql");
        if (Placeholders.count(sql) > 0) {
            throw new IllegalArgumentException("a batch statement cannot take parameters; use a Statement with add() for several bindings");
        }
        statements.add(sql);
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
