package io.reactivedb.backup;

/**
 * A backup, verification, restore or prune that could not be done. The message says what failed
 * and why (a tool's exit code and the end of its error output, a file, a database); it never holds
 * a password or the encryption key.
 */
public class BackupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
