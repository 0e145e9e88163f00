package io.reactivedb.tracing;

import java.util.List;
import java.util.Locale;

/**
 * The {@code db.operation.name} of a statement: its first keyword in upper case, after leading
 * white space, {@code --} and (nested) {@code /* *}{@code /} comments and opening parentheses
 * ({@code (SELECT 1) UNION …}). Reads nothing past the keyword, so no literal of the statement can
 * end up in it; a statement that does not start with a keyword of at most 32 ASCII letters is
 * {@value #UNKNOWN}.
 */
public final class SqlOperation {

    /** The name of a statement whose first keyword cannot be read. */
    public static final String UNKNOWN = "UNKNOWN";
    private static final int LONGEST = 32;

    private SqlOperation() {
    }

    /** The first keyword of {@code sql}, upper case, or {@value #UNKNOWN}. */
    public static String of(String sql) {
        int i = skipNoise(sql, 0);
        int start = i;
        while (i < sql.length() && i - start <= LONGEST && isLetter(sql.charAt(i))) {
            i++;
        }
        int length = i - start;
        boolean endsThere = i == sql.length() || !isWordPart(sql.charAt(i));
        if (length == 0 || length > LONGEST || !endsThere) {
            return UNKNOWN;
        }
        return sql.substring(start, i).toUpperCase(Locale.ROOT);
    }

    /**
     * The operation name of a batch of {@code statements}: {@code BATCH <keyword>} when they share one,
     * else {@code BATCH} (the semantic conventions' rule).
     */
    public static String ofBatch(List<String> statements) {
        String shared = null;
        for (String sql : statements) {
            String operation = of(sql);
            if (shared == null) {
                shared = operation;
            } else if (!shared.equals(operation)) {
                return "BATCH";
            }
        }
        return shared == null || shared.equals(UNKNOWN) ? "BATCH" : "BATCH " + shared;
    }

    private static int skipNoise(String sql, int from) {
        int i = from;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c) || c == '(') {
                i++;
            } else if (c == '-' && next(sql, i) == '-') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? sql.length() : end + 1;
            } else if (c == '/' && next(sql, i) == '*') {
                i = afterBlockComment(sql, i);
            } else {
                break;
            }
        }
        return i;
    }

    /** PostgreSQL's block comments nest. */
    private static int afterBlockComment(String sql, int start) {
        int depth = 0;
        int i = start;
        while (i < sql.length()) {
            if (sql.charAt(i) == '/' && next(sql, i) == '*') {
                depth++;
                i += 2;
            } else if (sql.charAt(i) == '*' && next(sql, i) == '/') {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return sql.length();
    }

    private static char next(String sql, int i) {
        return i + 1 < sql.length() ? sql.charAt(i + 1) : 0;
    }

    private static boolean isLetter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    private static boolean isWordPart(char c) {
        return isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '$' || c > 127;
    }
}
