package io.reactivedb.devservices;

/**
 * A dev-services operation failed: binaries not found, an external command failed or timed out, or
 * the cluster did not reach the expected state in time. The message names the command or the
 * condition waited for and includes the tail of the relevant output; it never contains a password.
 */
public final class DevServicesException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DevServicesException(String message) {
        super(message);
    }

    public DevServicesException(String message, Throwable cause) {
        super(message, cause);
    }
}
