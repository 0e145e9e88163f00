package io.reactivedb.r2dbc;

import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import reactor.core.publisher.Flux;

/**
 * A statement of a {@link RoutedConnection}: binds and options are recorded, then replayed in order
 * on a statement of the bound connection when {@link #execute()} is subscribed (the connection may
 * not be bound before). Errors the driver raises on a bind (a bad index, an unsupported type)
 * therefore arrive as the execution's error signal.
 */
final class RoutedStatement implements Statement {

    private final RoutedConnection connection;
    private final String sql;
    private final List<Consumer<Statement>> steps = new ArrayList<>();

    RoutedStatement(RoutedConnection connection, String sql) {
        this.connection = connection;
        this.sql = sql;
    }

    @Override
    public Statement add() {
        steps.add(Statement::add);
        return this;
    }

    @Override
    public Statement bind(int index, Object value) {
        Objects.requireNonNull(value, "value");
        steps.add(statement -> statement.bind(index, value));
        return this;
    }

    @Override
    public Statement bind(String name, Object value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        steps.add(statement -> statement.bind(name, value));
        return this;
    }

    @Override
    public Statement bindNull(int index, Class<?> type) {
        Objects.requireNonNull(type, "type");
        steps.add(statement -> statement.bindNull(index, type));
        return this;
    }

    @Override
    public Statement bindNull(String name, Class<?> type) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        steps.add(statement -> statement.bindNull(name, type));
        return this;
    }

    @Override
    public Statement returnGeneratedValues(String... columns) {
        Objects.requireNonNull(columns, "columns");
        String[] copy = columns.clone();
        steps.add(statement -> statement.returnGeneratedValues(copy));
        return this;
    }

    @Override
    public Statement fetchSize(int rows) {
        steps.add(statement -> statement.fetchSize(rows));
        return this;
    }

    @Override
    public Flux<Result> execute() {
        List<Consumer<Statement>> recorded = List.copyOf(steps);
        return connection.execute(borrowed -> {
            Statement statement = borrowed.statement(sql);
            recorded.forEach(step -> step.accept(statement));
            return statement.execute();
        });
    }
}
