package io.reactivedb.r2dbc;

import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

/**
 * A statement of a {@link RoutedConnection}: binds and options are recorded, then replayed in order
 * on a statement of the bound connection when {@link #execute()} is subscribed (the connection may
 * not be bound before).
 *
 * <p>What the SPI says a call must throw is thrown by the call itself, as a driver's statement
 * would: a null argument ({@link IllegalArgumentException}), an index or {@code $n} name the SQL
 * does not have ({@link IndexOutOfBoundsException}, {@link NoSuchElementException}), and
 * {@link #add()} or {@link #execute()} with parameters left unbound ({@link IllegalStateException}).
 * The parameters are read from the SQL text by {@link Placeholders}, with the driver's rules. Errors
 * only the driver can find (a value no codec encodes, a statement with several commands and
 * parameters) arrive as the execution's error signal.
 */
final class RoutedStatement implements Statement {

    private final RoutedConnection connection;
    private final String sql;
    private final int parameterCount;
    private final List<Consumer<Statement>> steps = new ArrayList<>();
    /** The parameters bound in the current binding; null before the first bind or {@link #add()}. */
    private @Nullable BitSet current;

    /** @throws IllegalArgumentException when {@code sql}'s parameters cannot be read (see {@link Placeholders#count}) */
    RoutedStatement(RoutedConnection connection, String sql) {
        this.connection = connection;
        this.sql = sql;
        this.parameterCount = Placeholders.count(sql);
    }

    @Override
    public Statement add() {
        if (current != null) {
            requireComplete(current);
        }
        current = new BitSet(parameterCount);
        steps.add(Statement::add);
        return this;
    }

    @Override
    public Statement bind(int index, Object value) {
        requireValue(value);
        bound(index);
        steps.add(statement -> statement.bind(index, value));
        return this;
    }

    @Override
    public Statement bind(String name, Object value) {
        int index = indexOf(name);
        requireValue(value);
        bound(index);
        steps.add(statement -> statement.bind(index, value));
        return this;
    }

    @Override
    public Statement bindNull(int index, Class<?> type) {
        Arguments.require(type, "type");
        bound(index);
        steps.add(statement -> statement.bindNull(index, type));
        return this;
    }

    @Override
    public Statement bindNull(String name, Class<?> type) {
        int index = indexOf(name);
        Arguments.require(type, "type");
        bound(index);
        steps.add(statement -> statement.bindNull(index, type));
        return this;
    }

    @Override
    public Statement returnGeneratedValues(String... columns) {
        Arguments.require(columns, "columns");
        for (String column : columns) {
            Arguments.require(column, "a column name");
        }
        String[] copy = columns.clone();
        steps.add(statement -> statement.returnGeneratedValues(copy));
        return this;
    }

    @Override
    public Statement fetchSize(int rows) {
        if (rows < 0) {
            throw new IllegalArgumentException("fetch size must be >= 0 but was " + rows);
        }
        steps.add(statement -> statement.fetchSize(rows));
        return this;
    }

    /** @throws IllegalStateException when the statement takes parameters and one of them is unbound */
    @Override
    public Flux<Result> execute() {
        if (parameterCount > 0) {
            if (current == null) {
                throw new IllegalStateException("no parameters have been bound: the statement takes " + parameterCount);
            }
            requireComplete(current);
        }
        List<Consumer<Statement>> recorded = List.copyOf(steps);
        return connection.execute(borrowed -> {
            Statement statement = borrowed.statement(sql);
            recorded.forEach(step -> step.accept(statement));
            return statement.execute();
        });
    }

    /** A value is never null, and never a {@link Class}: a typed null is {@code bindNull(…, type)}. */
    private static void requireValue(Object value) {
        Arguments.require(value, "value");
        if (value instanceof Class<?> type) {
            throw new IllegalArgumentException("a Class is not a value: bind a null of type " + type.getName() + " with bindNull");
        }
    }

    private void bound(int index) {
        if (index < 0 || index >= parameterCount) {
            throw new IndexOutOfBoundsException("no parameter at index " + index + ": the statement takes " + parameterCount
                    + (parameterCount == 0 ? "" : " (indexes 0 to " + (parameterCount - 1) + ")"));
        }
        if (current == null) {
            current = new BitSet(parameterCount);
        }
        current.set(index);
    }

    /** The index of a {@code $n} name. */
    private int indexOf(String name) {
        Arguments.require(name, "name");
        int number = -1;
        if (name.length() > 1 && name.length() <= 6 && name.charAt(0) == '$' && name.chars().skip(1).allMatch(c -> c >= '0' && c <= '9')) {
            number = Integer.parseInt(name.substring(1));
        }
        if (number < 1 || number > parameterCount) {
            throw new NoSuchElementException("no parameter named '" + name + "': the statement takes "
                    + (parameterCount == 0 ? "none" : "$1 to $" + parameterCount));
        }
        return number - 1;
    }

    private void requireComplete(BitSet binding) {
        int missing = binding.nextClearBit(0);
        if (missing < parameterCount) {
            throw new IllegalStateException("parameter $" + (missing + 1) + " is not bound: the statement takes " + parameterCount);
        }
    }
}
