package io.reactivedb.resilience;

/** What a failure means for trying the same work again; see {@link FailureClassifier#classify(Throwable)}. */
public enum Classification {
    /**
     * The work failed before any statement reached the server (connect refused or lost while
     * acquiring, {@code 08xxx}, {@code 57P01}–{@code 57P03}, {@code 53300}), or the
     * connection was lost during work that cannot have written. Running it again, on a fresh
     * connection, cannot apply it twice.
     */
    RETRYABLE_CONNECTION,
    /**
     * The server rolled the whole transaction back: serialization failure ({@code 40001}) or
     * deadlock ({@code 40P01}). Running the transaction again from the start is safe.
     */
    RETRYABLE_TRANSACTION,
    /**
     * The connection broke after a statement that may change data was sent, or during a commit:
     * the server may or may not have applied it. Never retried automatically.
     */
    OUTCOME_UNKNOWN,
    /**
     * Trying again would fail the same way or is not known to be safe: integrity ({@code 23xxx}),
     * syntax and permission ({@code 42xxx}), data ({@code 22xxx}), read-only transaction
     * ({@code 25006}), statement timeout or cancel ({@code 57014}), a protocol violation the
     * server reported ({@code 08P01}), the caller's own exceptions, and anything else. Also a pool
     * exhausted: safe to try again, but the caller has waited the whole acquire timeout already.
     */
    NOT_RETRYABLE;

    /** Whether this classification allows an automatic retry. */
    public boolean isRetryable() {
        return this == RETRYABLE_CONNECTION || this == RETRYABLE_TRANSACTION;
    }
}
