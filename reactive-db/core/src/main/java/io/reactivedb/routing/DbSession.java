package io.reactivedb.routing;

import io.r2dbc.spi.Parameter;
import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.util.List;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What a unit of work receives: the connection {@link ReactiveDbRouter} lends to the function passed
 * to {@link ReactiveDbRouter#read}, {@link ReactiveDbRouter#write} or
 * {@link ReactiveDbRouter#inTransaction}. Valid only inside that function; statements run in order
 * on the same server session. (An integration that runs the unit of work itself borrows a
 * {@link ConnectionLoan} instead; the router releases both the same way.)
 *
 * <p>Values are always bound as parameters ({@code $1}, {@code $2}, …), never concatenated into
 * SQL. A {@code null} value needs its type: pass {@link #nullOf(Class)}.
 *
 * <p>Statements that change session state ({@code SET} without {@code LOCAL}, {@code RESET},
 * {@code LISTEN}, {@code PREPARE}, {@code set_config(…)}, session advisory locks, temporary
 * tables) are noticed and the connection is discarded instead of being returned to the pool, so the
 * next borrower always gets a clean session.
 */
public interface DbSession {

    /** The name of the endpoint this session runs on, for example {@code replica-1}. */
    String endpoint();

    /**
     * Runs a query and maps each row. The mapper must not return {@code null}.
     *
     * @param params values for {@code $1}, {@code $2}, …; a {@link Parameter} is bound as given
     */
    <T> Flux<T> query(String sql, Function<? super Row, ? extends T> mapper, Object... params);

    /** Runs a statement and emits the number of rows it changed. */
    Mono<Long> execute(String sql, Object... params);

    /**
     * Runs one statement once per parameter row, in one round trip batch, and emits each row count
     * in order.
     */
    Flux<Long> executeBatch(String sql, List<Object[]> parameterRows);

    /**
     * Copies rows into {@code table} with {@code COPY ... FROM STDIN}: far fewer round trips and
     * much less work per row than {@link #executeBatch}. Each row holds one value per column, in
     * the order of {@code columns}; {@code null} (or {@link #nullOf}) is SQL {@code NULL}. Values go
     * in PostgreSQL's COPY text format, escaped (backslash, tab, newline, carriage return), so any
     * text arrives as given; a value's text must be one its column's type parses: strings,
     * characters, numbers, booleans, {@code UUID}, {@code java.time} dates, times and timestamps,
     * enums (their name), {@code byte[]} and {@code ByteBuffer} ({@code bytea}). Another type, a
     * string holding NUL, or a row of the wrong width fails the copy, and the server drops every row
     * of it (a copy is one statement). Writes only: on a replica the server refuses it
     * ({@code 25006}). Rows are read as the driver sends them, in frames of 1,000 rows.
     *
     * @param table   {@code table} or {@code schema.table}, quoted: names are case-sensitive
     * @param columns the columns the values are for, quoted likewise
     * @return the number of rows copied
     * @throws IllegalArgumentException at once when a name is empty, over 63 bytes or holds NUL, or no column is named
     */
    Mono<Long> copyIn(String table, List<String> columns, Publisher<Object[]> rows);

    /**
     * A raw R2DBC statement for what the methods above do not cover (named binds, fetch size,
     * generated keys). Bind values with {@code bind}; never build SQL from values.
     */
    Statement statement(String sql);

    /** A typed SQL {@code NULL} to pass as a parameter value. */
    static Parameter nullOf(Class<?> type) {
        return Parameters.in(type);
    }
}
