package io.reactivedb.config;

/**
 * An invalid setting. The message names the setting and the form it accepts; it never contains a
 * password or any other secret.
 */
public final class ConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String setting;

    public ConfigurationException(String setting, String message) {
        super(setting + ": " + message);
        this.setting = setting;
    }

    /** As {@link #ConfigurationException(String, String)}, keeping the cause; its message must not hold a secret either. */
    public ConfigurationException(String setting, String message, Throwable cause) {
        super(setting + ": " + message, cause);
        this.setting = setting;
    }

    /** The name of the offending setting, for example {@code DB_POOL_SIZE} or {@code pool.maxSize}. */
    public String setting() {
        return setting;
    }
}
