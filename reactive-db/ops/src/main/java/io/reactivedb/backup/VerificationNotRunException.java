package io.reactivedb.backup;

/**
 * A verification that could not run: its preconditions failed (scratch database, tools,
 * connection), not the backup. Becomes {@link VerificationResult.Outcome#NOT_RUN}.
 */
final class VerificationNotRunException extends BackupException {

    private static final long serialVersionUID = 1L;

    VerificationNotRunException(String message, Throwable cause) {
        super(message, cause);
    }
}
