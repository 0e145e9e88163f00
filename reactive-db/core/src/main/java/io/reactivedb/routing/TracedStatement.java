package io.reactivedb.routing;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.reactivedb.tracing.SqlOperation;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import reactor.core.publisher.Flux;

/**
 * A statement of a traced lease. Binds and options are recorded and replayed on the driver's
 * statement, which is created when the execution is subscribed, after its span started: with the
 * trace comment on, the SQL sent carries the span's {@code traceparent}. The driver checks the
 * bindings as before, at {@link #execute()}'s subscription; values stay in the driver's statement
 * only, never in the span.
 */
final class TracedStatement implements Statement {

    private final LeaseTracing tracing;
    private final Connection connection;
    private final String sql;
    private final List<Consumer<Statement>> steps = new ArrayList<>(4);
    private int adds;
    private boolean boundSinceAdd;

    TracedStatement(LeaseTracing tracing, Connection connection, String sql) {
        this.tracing = tracing;
        this.connection = connection;
        this.sql = sql;
    }

    @Override
    public Statement add() {
        adds++;
        boundSinceAdd = false;
        steps.add(Statement::add);
        return this;
    }

    @Override
    public Statement bind(int index, Object value) {
        boundSinceAdd = true;
        steps.add(statement -> statement.bind(index, value));
        return this;
    }

    @Override
    public Statement bind(String name, Object value) {
        boundSinceAdd = true;
        steps.add(statement -> statement.bind(name, value));
        return this;
    }

    @Override
    public Statement bindNull(int index, Class<?> type) {
        boundSinceAdd = true;
        steps.add(statement -> statement.bindNull(index, type));
        return this;
    }

    @Override
    public Statement bindNull(String name, Class<?> type) {
        boundSinceAdd = true;
        steps.add(statement -> statement.bindNull(name, type));
        return this;
    }

    @Override
    public Statement returnGeneratedValues(String... columns) {
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
        int bindings = Math.max(1, adds + (boundSinceAdd ? 1 : 0));
        return tracing.traced(sql, SqlOperation.of(sql), bindings, text -> {
            Statement statement = connection.createStatement(text);
            recorded.forEach(step -> step.accept(statement));
            return statement.execute();
        });
    }
}
