package io.reactivedb.routing;

import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Recognises statements that leave state behind in the server session after they complete, so the
 * connection can be discarded instead of lent to the next caller with that state. Transaction-scoped
 * forms ({@code SET LOCAL}, {@code pg_advisory_xact_lock}) are fine: commit or rollback clears them.
 */
final class SessionStateGuard {

    private static final Pattern SESSION_CHANGING = Pattern.compile(
            "^\\s*(?:"
                    + "set\\s+(?!local\\b|transaction\\b|constraints\\b)"
                    + "|reset\\b|listen\\b|prepare\\b|load\\b|discard\\b"
                    + "|declare\\b[^;]*\\bwith\\s+hold\\b"
                    + "|create\\s+(?:global\\s+|local\\s+)?temp(?:orary)?\\b"
                    + ")"
                    + "|\\bset_config\\s*\\(|\\bpg_advisory_lock(?:_shared)?\\s*\\(|\\bpg_try_advisory_lock(?:_shared)?\\s*\\(",
            Pattern.CASE_INSENSITIVE);

    /**
     * Verdicts by SQL text. Applications run a bounded set of statements many times, and the
     * pattern costs about a microsecond per statement, so verdicts are cached; past
     * {@value #CACHE_LIMIT} distinct texts (SQL built per call) new ones are matched uncached.
     */
    private static final int CACHE_LIMIT = 4096;
    private static final ConcurrentHashMap<String, Boolean> VERDICTS = new ConcurrentHashMap<>();

    private SessionStateGuard() {
    }

    static boolean changesSessionState(String sql) {
        Boolean known = VERDICTS.get(sql);
        if (known != null) {
            return known;
        }
        boolean verdict = SESSION_CHANGING.matcher(sql).find();
        if (VERDICTS.size() < CACHE_LIMIT) {
            VERDICTS.put(sql, verdict);
        }
        return verdict;
    }
}
