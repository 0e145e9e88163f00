package io.reactivedb.tracing;

import java.util.regex.Pattern;

/**
 * The trace comment, sqlcommenter style: {@code /*traceparent='00-<trace id>-<span id>-<flags>'*}{@code /}
 * put in front of a statement, so that {@code pg_stat_activity.query} (and the server log) shows which
 * trace a running statement belongs to. Put in front rather than behind, as sqlcommenter does, because
 * {@code pg_stat_activity} keeps only the first {@code track_activity_query_size} bytes. Only a
 * well-formed W3C {@code traceparent} is ever written, so nothing a propagator hands over can end the
 * comment early. PostgreSQL ignores comments, and {@code pg_stat_statements} groups by the statement
 * without them.
 */
public final class TraceComment {

    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

    private TraceComment() {
    }

    /** Whether {@code traceparent} is a well-formed W3C trace context header value (lower-case hex). */
    public static boolean isTraceparent(String traceparent) {
        return TRACEPARENT.matcher(traceparent).matches();
    }

    /**
     * {@code sql} with the comment of {@code traceparent} in front, or {@code sql} itself when
     * {@code traceparent} is not well-formed.
     */
    public static String prepend(String traceparent, String sql) {
        if (!isTraceparent(traceparent)) {
            return sql;
        }
        return "/*traceparent='" + traceparent + "'*/ " + sql;
    }
}
