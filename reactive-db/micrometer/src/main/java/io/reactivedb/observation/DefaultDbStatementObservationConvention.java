package io.reactivedb.observation;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.r2dbc.spi.R2dbcException;
import io.reactivedb.tracing.StatementAttributes;
import org.jspecify.annotations.Nullable;

/**
 * Statement observations in the OpenTelemetry database semantic conventions: named
 * {@value #NAME} (the timer {@code db.client.operation} of a meter handler), contextual name
 * {@code <operation> <database>} (the span name), and key values:
 *
 * <table>
 * <caption>key values</caption>
 * <tr><th>key</th><th>cardinality</th><th>value</th></tr>
 * <tr><td>{@code db.system.name}</td><td>low</td><td>{@code postgresql}</td></tr>
 * <tr><td>{@code db.namespace}</td><td>low</td><td>the database name</td></tr>
 * <tr><td>{@code db.operation.name}</td><td>low</td><td>first keyword: {@code SELECT}, {@code INSERT}, {@code BATCH INSERT}, …</td></tr>
 * <tr><td>{@code server.address}, {@code server.port}</td><td>low</td><td>the endpoint's configured host and port</td></tr>
 * <tr><td>{@code reactivedb.endpoint}, {@code reactivedb.role}, {@code reactivedb.consistency}</td><td>low</td><td>see {@link StatementAttributes}</td></tr>
 * <tr><td>{@code reactivedb.attempt}</td><td>high</td><td>the unit's attempt, from 1</td></tr>
 * <tr><td>{@code db.query.text}</td><td>high</td><td>the SQL with its {@code $n} placeholders, never values (left out when the tracer is told so)</td></tr>
 * <tr><td>{@code db.operation.batch.size}</td><td>high</td><td>when above 1</td></tr>
 * <tr><td>{@code db.response.status_code}</td><td>high</td><td>the SQLSTATE of a failure the server reported</td></tr>
 * </table>
 *
 * Failure details are high-cardinality, so that a meter handler's timer keeps one set of tags.
 */
public class DefaultDbStatementObservationConvention implements DbStatementObservationConvention {

    /** The observation's name. */
    public static final String NAME = "db.client.operation";

    private final boolean queryText;

    /** The convention with {@code db.query.text}. */
    public DefaultDbStatementObservationConvention() {
        this(true);
    }

    /** @param queryText whether {@code db.query.text} is recorded */
    public DefaultDbStatementObservationConvention(boolean queryText) {
        this.queryText = queryText;
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(DbStatementContext context) {
        StatementAttributes statement = context.statement();
        return statement.operationName() + " " + statement.namespace();
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(DbStatementContext context) {
        StatementAttributes statement = context.statement();
        return KeyValues.of(
                KeyValue.of("db.system.name", StatementAttributes.SYSTEM),
                KeyValue.of("db.namespace", statement.namespace()),
                KeyValue.of("db.operation.name", statement.operationName()),
                KeyValue.of("server.address", statement.serverAddress()),
                KeyValue.of("server.port", Integer.toString(statement.serverPort())),
                KeyValue.of("reactivedb.endpoint", statement.endpoint()),
                KeyValue.of("reactivedb.role", statement.role()),
                KeyValue.of("reactivedb.consistency", statement.consistency()));
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(DbStatementContext context) {
        StatementAttributes statement = context.statement();
        KeyValues values = KeyValues.of("reactivedb.attempt", Integer.toString(statement.attempt()));
        if (queryText) {
            values = values.and("db.query.text", statement.queryText());
        }
        if (statement.batchSize() > 1) {
            values = values.and("db.operation.batch.size", Integer.toString(statement.batchSize()));
        }
        String sqlState = sqlStateOf(context.getError());
        return sqlState == null ? values : values.and("db.response.status_code", sqlState);
    }

    private static @Nullable String sqlStateOf(@Nullable Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof R2dbcException r2dbc && r2dbc.getSqlState() != null) {
                return r2dbc.getSqlState();
            }
        }
        return null;
    }
}
