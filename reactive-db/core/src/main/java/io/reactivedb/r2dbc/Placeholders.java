package io.reactivedb.r2dbc;

import java.util.BitSet;

/**
 * The positional parameters ({@code $1}, {@code $2}, …) of a statement's SQL text, found with the
 * lexical rules r2dbc-postgresql 1.1's parser applies before it binds, so that a statement can be
 * checked when a value is bound instead of when it is executed on a connection bound later, and the
 * count agrees with the driver's for every text the driver accepts.
 *
 * <p>A {@code $} starts a parameter or a dollar-quoted string only where a token starts (after
 * white space or an operator or punctuation character; {@code a$1} is an identifier). Skipped:
 * string constants ({@code '…'}, to the next quote, as the driver does, so {@code ''} reads as two
 * adjacent constants), quoted identifiers ({@code "…"}), dollar-quoted strings ({@code $$…$$},
 * {@code $tag$…$tag$}), line comments ({@code --}) and nested block comments.
 */
final class Placeholders {

    /** Operator and punctuation characters: each ends a word and is a token of its own. */
    private static final String SPECIAL = "+-*/<>=~!@#%^&|`?()[],;:.'\"";
    /** PostgreSQL accepts at most 65535 parameters in a Bind message. */
    private static final int MAX_PARAMETER = 65_535;

    private Placeholders() {
    }

    /**
     * The number of parameters {@code sql} takes: its highest {@code $n}, every number from 1 up to
     * it being used (as the driver requires).
     *
     * @throws IllegalArgumentException when the text cannot be parsed (an unclosed quote or comment,
     *                                  a malformed {@code $} token) or a parameter number is missing
     */
    static int count(String sql) {
        BitSet used = new BitSet();
        int length = sql.length();
        int i = 0;
        while (i < length) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '\'' || c == '"') {
                i = closing(sql, String.valueOf(c), i + 1, i, "quote") + 1;
            } else if (c == '-' && next(sql, i) == '-') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? length : end;
            } else if (c == '/' && next(sql, i) == '*') {
                i = blockCommentEnd(sql, i);
            } else if (c == '$') {
                i = dollar(sql, i, used);
            } else if (SPECIAL.indexOf(c) >= 0) {
                i++;
            } else {
                while (i < length && !Character.isWhitespace(sql.charAt(i)) && SPECIAL.indexOf(sql.charAt(i)) < 0) {
                    i++;
                }
            }
        }
        int count = used.length() - 1;
        int missing = used.nextClearBit(1);
        if (count > 0 && missing <= count) {
            throw new IllegalArgumentException("parameter $" + missing + " is missing: the statement uses $1 to $" + count);
        }
        return Math.max(count, 0);
    }

    private static char next(String sql, int i) {
        return i + 1 < sql.length() ? sql.charAt(i + 1) : '\0';
    }

    /** The index of {@code closer} at or after {@code from}. */
    private static int closing(String sql, String closer, int from, int opened, String what) {
        int end = sql.indexOf(closer, from);
        if (end < 0) {
            throw new IllegalArgumentException("the SQL cannot be parsed: unclosed " + what + " opened at index " + opened);
        }
        return end;
    }

    private static int blockCommentEnd(String sql, int start) {
        int depth = 0;
        int i = start;
        while (i + 1 < sql.length()) {
            char c = sql.charAt(i);
            char d = sql.charAt(i + 1);
            if (c == '/' && d == '*') {
                depth++;
                i += 2;
            } else if (c == '*' && d == '/') {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        throw new IllegalArgumentException("the SQL cannot be parsed: unclosed block comment opened at index " + start);
    }

    /** A parameter ({@code $digits}, recorded in {@code used}) or a dollar-quoted string; returns the index after it. */
    private static int dollar(String sql, int start, BitSet used) {
        int length = sql.length();
        int i = start + 1;
        if (i < length && isDigit(sql.charAt(i))) {
            long number = 0;
            while (i < length && !Character.isWhitespace(sql.charAt(i)) && SPECIAL.indexOf(sql.charAt(i)) < 0) {
                char c = sql.charAt(i);
                if (!isDigit(c)) {
                    throw new IllegalArgumentException("the SQL cannot be parsed: illegal character '" + c + "' in parameter at index " + start);
                }
                number = Math.min(number * 10 + (c - '0'), MAX_PARAMETER + 1L);
                i++;
            }
            if (number < 1 || number > MAX_PARAMETER) {
                throw new IllegalArgumentException("illegal parameter " + sql.substring(start, i) + ": numbers run from $1 to $" + MAX_PARAMETER);
            }
            used.set((int) number);
            return i;
        }
        while (i < length && sql.charAt(i) != '$') {
            char c = sql.charAt(i);
            if (!(isDigit(c) || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                throw new IllegalArgumentException("the SQL cannot be parsed: illegal character '" + c + "' in dollar-quote tag at index " + start);
            }
            i++;
        }
        if (i >= length) {
            throw new IllegalArgumentException("the SQL cannot be parsed: unclosed dollar-quote tag at index " + start);
        }
        String tag = sql.substring(start, i + 1);
        return closing(sql, tag, i + 1, start, "dollar quote") + tag.length();
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
