package io.reactivedb.routing;

import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.util.context.ContextView;

/**
 * One unit of work as the caller asked for it.
 *
 * @param kind        read, plain write or transaction
 * @param consistency where a read may go; for a transaction or write unused (see {@link #readConsistency()})
 * @param options     a transaction's options; {@link TransactionOptions#defaults()} for the other kinds
 * @param work        the caller's work on the session
 * @param pinned      the endpoint the unit must run on ({@code inTransactionOn}), or null to route it
 */
record Unit<T>(Kind kind, ReadConsistency consistency, TransactionOptions options,
               Function<? super DbSession, ? extends Publisher<T>> work, @Nullable Endpoint pinned) {

    enum Kind { READ, WRITE, TRANSACTION }

    Unit {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(consistency, "consistency");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(work, "work");
    }

    static <T> Unit<T> read(ReadConsistency consistency, Function<? super DbSession, ? extends Publisher<T>> work) {
        return new Unit<>(Kind.READ, consistency, TransactionOptions.defaults(), work, null);
    }

    static <T> Unit<T> write(Function<? super DbSession, ? extends Publisher<T>> work) {
        return new Unit<>(Kind.WRITE, ReadConsistency.strong(), TransactionOptions.defaults(), work, null);
    }

    static <T> Unit<T> transaction(TransactionOptions options, Function<? super DbSession, ? extends Publisher<T>> work,
                                   @Nullable Endpoint pinned) {
        return new Unit<>(Kind.TRANSACTION, ReadConsistency.eventual(), options, work, pinned);
    }

    /** Whether it may write, so it goes to the writer: a plain write or a read-write transaction. */
    boolean toWriter() {
        return kind == Kind.WRITE || (kind == Kind.TRANSACTION && !options.readOnly());
    }

    /** The consistency of a unit that reads only: a read's own, a read-only transaction's eventual. */
    ReadConsistency readConsistency() {
        return kind == Kind.READ ? consistency : ReadConsistency.eventual();
    }

    boolean isTransaction() {
        return kind == Kind.TRANSACTION;
    }

    /** A plain write not declared idempotent: a connection lost after it was sent leaves its outcome unknown. */
    boolean mayHaveWritten(ContextView context) {
        return kind == Kind.WRITE && !DbOperation.isIdempotent(context);
    }

    /** The operation name for metrics and the slow-query log: the context's, else the kind's. */
    String operation(ContextView context) {
        return DbOperation.of(context, kind == Kind.TRANSACTION ? "transaction" : kind == Kind.WRITE ? "write" : "read");
    }
}
