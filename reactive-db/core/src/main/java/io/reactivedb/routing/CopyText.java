package io.reactivedb.routing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Parameter;
import io.r2dbc.spi.Wrapped;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZonedDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link DbSession#copyIn}: the {@code COPY ... FROM STDIN} statement and the rows in PostgreSQL's
 * text format: columns separated by a tab, rows ended by a newline, {@code NULL} as {@code \N},
 * and in every value a backslash, tab, newline and carriage return escaped with a backslash (so
 * no value can end a column, a row or the data). Rows go to the server in frames of
 * {@value #ROWS_PER_FRAME} rows.
 */
final class CopyText {

    static final int ROWS_PER_FRAME = 1000;
    private static final HexFormat HEX = HexFormat.of();

    private CopyText() {
    }

    /**
     * Runs the COPY {@code sql} with {@code rows} on the r2dbc-postgresql connection under
     * {@code connection}'s wrappers (the pool's, the router's); emits the rows copied.
     */
    static Mono<Long> copy(Connection connection, String sql, Publisher<Object[]> rows, int columns) {
        Connection driver = connection;
        while (!(driver instanceof PostgresqlConnection) && driver instanceof Wrapped<?> wrapped && wrapped.unwrap() instanceof Connection inner) {
            driver = inner;
        }
        if (!(driver instanceof PostgresqlConnection postgres)) {
            return Mono.error(new UnsupportedOperationException("COPY needs an r2dbc-postgresql connection"));
        }
        return postgres.copyIn(sql).fromMany(frames(rows, columns)).build();
    }

    /** {@code COPY "table" ("a", "b") FROM STDIN}, every name quoted. */
    static String statement(String table, List<String> columns) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("name at least one column");
        }
        StringBuilder sql = new StringBuilder("COPY ").append(Identifiers.qualified("table", table)).append(" (");
        for (int i = 0; i < columns.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append(Identifiers.quote("column", columns.get(i)));
        }
        return sql.append(") FROM STDIN").toString();
    }

    /** The rows as COPY data frames, each of up to {@value #ROWS_PER_FRAME} rows; a row of the wrong width fails the flux. */
    static Flux<Publisher<ByteBuf>> frames(Publisher<Object[]> rows, int width) {
        return Flux.from(rows)
                .buffer(ROWS_PER_FRAME)
                .map(frame -> Mono.fromCallable(() -> encode(frame, width)));
    }

    static ByteBuf encode(List<Object[]> rows, int width) {
        StringBuilder out = new StringBuilder(rows.size() * 64);
        for (Object[] row : rows) {
            if (row.length != width) {
                throw new IllegalArgumentException("a row has " + row.length + " values for " + width + " columns");
            }
            for (int column = 0; column < width; column++) {
                if (column > 0) {
                    out.append('\t');
                }
                value(out, row[column], column);
            }
            out.append('\n');
        }
        return Unpooled.wrappedBuffer(out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** One value in COPY text form; {@code null} (or a typed null from {@link DbSession#nullOf}) is {@code \N}. */
    static void value(StringBuilder out, @Nullable Object value, int column) {
        Object v = value instanceof Parameter parameter ? parameter.getValue() : value;
        if (v == null) {
            out.append("\\N");
        } else if (v instanceof CharSequence || v instanceof Character || v instanceof Number && !(v instanceof BigDecimal)
                || v instanceof UUID || v instanceof LocalDate || v instanceof LocalTime || v instanceof LocalDateTime
                || v instanceof OffsetDateTime || v instanceof OffsetTime || v instanceof Instant) {
            escaped(out, v.toString(), column);
        } else if (v instanceof BigDecimal decimal) {
            out.append(decimal.toPlainString());
        } else if (v instanceof Boolean flag) {
            out.append(flag ? 't' : 'f');
        } else if (v instanceof ZonedDateTime zoned) {
            out.append(zoned.toOffsetDateTime());
        } else if (v instanceof Enum<?> constant) {
            escaped(out, constant.name(), column);
        } else if (v instanceof byte[] bytes) {
            out.append("\\\\x").append(HEX.formatHex(bytes)); // bytea's hex form, its backslash escaped for COPY
        } else if (v instanceof ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            out.append("\\\\x").append(HEX.formatHex(bytes));
        } else {
            throw new IllegalArgumentException("column " + (column + 1) + ": no COPY text form for a " + v.getClass().getName()
                    + "; pass its text (String) and let the column's type parse it");
        }
    }

    private static void escaped(StringBuilder out, String text, int column) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\0' -> throw new IllegalArgumentException("column " + (column + 1) + ": PostgreSQL text cannot hold a NUL character");
                default -> out.append(c);
            }
        }
    }
}
