package io.reactivedb.routing;

import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Recognises statements that leave state behind in the server session after they complete, so the
 * connection can be discarded instead of lent to the next caller with that state. Transaction-scoped
 * forms ({@code SET LOCAL}, {@code pg_advisory_xact_lock}) are fine: commit or rollback clears them.
 *
 * <p>Behind a transaction pooler the same statements (but {@code set_config}, whose third argument
 * may make it transaction-local and is usually a bound value) need a server session of their own,
 * which the pooler does not give: {@link #needsSession(String)} names them, and they are refused.
 */
final class ConnectionStateGuard {

    private static final String NEEDING_A_SESSION = "^\\s*(?:"
            + "set\\s+(?!local\\b|transaction\\b|constraints\\b)"
            + "|reset\\b|listen\\b|prepare\\b|load\\b|discard\\b"
            + "|declare\\b[^;]*\\bwith\\s+hold\\b"
            + "|create\\s+(?:global\\s+|local\\s+)?temp(?:orary)?\\b"
            + ")"
            + "|\\bpg_advisory_lock(?:_shared)?\\s*\\(|\\bpg_try_advisory_lock(?:_shared)?\\s*\\(";
    private static final Pattern SESSION_NEEDING = Pattern.compile(NEEDING_A_SESSION, Pattern.CASE_INSENSITIVE);
    private static final Pattern SESSION_CHANGING = Pattern.compile(NEEDING_A_SESSION + "|\\bset_config\\s*\\(",
            Pattern.CASE_INSENSITIVE);
    private static final byte CHANGES = 1;
    private static final byte NEEDS = 2;

    /**
     * Verdicts by SQL text. Applications run a bounded set of statements many times, and the
     * pattern costs about a microsecond per statement, so verdicts are cached; past
     * {@value #CACHE_LIMIT} distinct texts (SQL built per call) new ones are matched uncached.
     */
    private static final int CACHE_LIMIT = 4096;
    private static final ConcurrentHashMap<String, Byte> VERDICTS = new ConcurrentHashMap<>();

    private ConnectionStateGuard() {
    }

    static boolean changesSessionState(String sql) {
        return (verdict(sql) & CHANGES) != 0;
    }

    /** Whether {@code sql} needs a server session of its own: it cannot run behind a transaction pooler. */
    static boolean needsSession(String sql) {
        return (verdict(sql) & NEEDS) != 0;
    }

    private static byte verdict(String sql) {
        Byte known = VERDICTS.get(sql);
        if (known != null) {
            return known;
        }
        byte verdict = 0;
        if (SESSION_CHANGING.matcher(sql).find()) {
            verdict = SESSION_NEEDING.matcher(sql).find() ? (byte) (CHANGES | NEEDS) : CHANGES;
        }
        if (VERDICTS.size() < CACHE_LIMIT) {
            VERDICTS.put(sql, verdict);
        }
        return verdict;
    }
}
