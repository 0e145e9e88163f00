package io.reactivedb.r2dbc;

import io.r2dbc.spi.Result;
import io.reactivedb.routing.ConnectionLoan;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reply to one execution of a statement or batch on a borrowed connection: finished once the
 * execution has emitted all its results and each of them was read to its end, or once the server
 * reported an error. Until then the statement is in flight for the release hygiene
 * ({@link ConnectionLoan#isStatementInFlight()}); a result cancelled or dropped part way keeps
 * it there, as the rest of it is still on its way (r2dbc-pool#198).
 *
 * <p>A caller that takes the first result and cancels the rest ({@code Mono.from(statement.execute())},
 * the usual way to run one statement) ends the emission there: that result read to its end
 * finishes the reply, as a statement with one command has one result. A cancel before any result
 * leaves the statement in flight.
 */
final class Reply {

    private final RoutedConnection owner;
    private final ConnectionLoan connection;
    private final long statement;
    /** Results emitted and not yet read to their end, plus one while the execution may emit more. */
    private final AtomicInteger open = new AtomicInteger(1);
    private final AtomicBoolean emissionEnded = new AtomicBoolean();
    private volatile boolean anyEmitted;

    Reply(RoutedConnection owner, ConnectionLoan connection, long statement) {
        this.owner = owner;
        this.connection = connection;
        this.statement = statement;
    }

    Result track(Result result) {
        open.incrementAndGet();
        anyEmitted = true;
        return new TrackedResult(result, this);
    }

    /** The execution emitted its last result. */
    void allEmitted() {
        if (emissionEnded.compareAndSet(false, true)) {
            settleOne();
        }
    }

    /** The caller cancelled the execution: after a result, it has what it asked for (see the class description). */
    void emissionCancelled() {
        if (anyEmitted) {
            allEmitted();
        }
    }

    /** A result was read to its end. */
    void resultRead() {
        settleOne();
    }

    void failed(Throwable error) {
        owner.failed(connection, statement, error);
    }

    private void settleOne() {
        if (open.decrementAndGet() == 0) {
            connection.statementFinished(statement);
        }
    }
}
