package io.reactivedb.backup;

/**
 * A backup file is not what was written: its checksum differs, an encrypted chunk fails
 * authentication (altered, reordered or truncated), or it cannot be decrypted with the configured
 * key ({@link #wrongKey()}).
 */
public final class BackupIntegrityException extends BackupException {

    private static final long serialVersionUID = 1L;

    private final boolean wrongKey;

    BackupIntegrityException(String message, boolean wrongKey) {
        super(message);
        this.wrongKey = wrongKey;
    }

    static BackupIntegrityException corrupt(String message) {
        return new BackupIntegrityException(message, false);
    }

    static BackupIntegrityException key(String message) {
        return new BackupIntegrityException(message, true);
    }

    /** Whether the problem is the key (none configured, or not the one the backup was made with) rather than the file. */
    public boolean wrongKey() {
        return wrongKey;
    }
}
