package io.reactivedb.backup;

/** A restore was asked for without the explicit confirmation; nothing was changed. */
public final class RestoreNotConfirmedException extends BackupException {

    private static final long serialVersionUID = 1L;

    RestoreNotConfirmedException(String message) {
        super(message);
    }
}
