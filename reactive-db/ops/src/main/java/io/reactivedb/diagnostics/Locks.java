package io.reactivedb.diagnostics;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Locks held and awaited on the endpoint's server (every database), without the diagnostic's own.
 *
 * @param endpoint where it was read
 * @param byMode   lock counts per lock type, mode and whether granted
 * @param waits    who waits for whom: one entry per waiting session and session blocking it
 *                 ({@code pg_blocking_pids}), longest wait first
 */
public record Locks(String endpoint, List<LockCount> byMode, List<LockWait> waits) {

    public Locks {
        byMode = List.copyOf(byMode);
        waits = List.copyOf(waits);
    }

    /**
     * The heads of the blocking chains: sessions that block others and wait for nobody themselves.
     * Ending them (or their transactions) releases the chain.
     */
    public List<Session> rootBlockers() {
        Set<Integer> waiting = waits.stream().map(w -> w.waiting().pid()).collect(Collectors.toSet());
        Map<Integer, Session> roots = new LinkedHashMap<>();
        for (LockWait wait : waits) {
            if (!waiting.contains(wait.blocking().pid())) {
                roots.putIfAbsent(wait.blocking().pid(), wait.blocking());
            }
        }
        return List.copyOf(roots.values());
    }

    /** @param count locks of this kind */
    public record LockCount(String lockType, String mode, boolean granted, long count) {
    }

    /**
     * @param waiting  the session that waits
     * @param blocking a session it waits for
     * @param waited   since the waiting statement started
     * @param lockType what is awaited ({@code relation}, {@code transactionid}, {@code tuple}, …)
     * @param mode     the awaited mode, for example {@code AccessExclusiveLock}
     * @param relation the awaited relation, when the lock is on one
     */
    public record LockWait(Session waiting, Session blocking, Duration waited, String lockType, String mode, Optional<String> relation) {
    }

    /**
     * A server session. Text fields are empty when the role may not see them (another role's session
     * without {@code pg_read_all_stats}) or for a prepared transaction (pid 0). The query is the
     * server's text of the statement: values an application wrote into SQL instead of binding them
     * appear in it, so expose it to operators only.
     *
     * @param transactionAge since its transaction began; empty outside a transaction
     */
    public record Session(int pid, Optional<String> user, Optional<String> application, Optional<String> state,
                          Optional<String> query, Optional<Duration> transactionAge) {
    }
}
