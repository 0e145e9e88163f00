package io.reactivedb.diagnostics;

import java.time.Duration;
import java.util.Optional;

/**
 * One normalised statement of {@code pg_stat_statements} (constants replaced by {@code $n}).
 *
 * @param queryId          the server's statement hash; empty when the server computes none
 * @param query            the statement text; {@code <insufficient privilege>} for other roles' statements
 *                         unless the role has {@code pg_read_all_stats}
 * @param user             the role that ran it
 * @param calls            executions
 * @param totalTime        total execution time
 * @param meanTime         mean execution time
 * @param maxTime          longest execution
 * @param rows             rows returned or changed, in total
 * @param sharedBlocksHit  shared buffer hits
 * @param sharedBlocksRead blocks read from outside shared buffers
 */
public record StatementStatistics(Optional<Long> queryId, String query, String user, long calls, Duration totalTime,
                                  Duration meanTime, Duration maxTime, long rows, long sharedBlocksHit, long sharedBlocksRead) {
}
