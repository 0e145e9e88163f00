package io.reactivedb.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What sits between the router and PostgreSQL ({@code DB_POOLER}); it decides how session state
 * and prepared statements are handled. See the README's "Behind PgBouncer".
 */
public enum Pooler {
    /** The servers themselves, or a pooler that gives each client its own server session. The default. */
    NONE("none"),
    /**
     * PgBouncer with {@code pool_mode = session}: a server session per client connection, but it
     * refuses startup parameters it does not track, so session timeouts are applied with {@code SET}
     * after connecting.
     */
    PGBOUNCER_SESSION("pgbouncer-session"),
    /**
     * PgBouncer with {@code pool_mode = transaction}: consecutive transactions of one client
     * connection may run on different server sessions. Statements are prepared unnamed, and
     * anything that needs a session of its own (session timeouts, {@code SET}, {@code LISTEN},
     * session advisory locks, temporary tables, …) is refused.
     */
    PGBOUNCER_TRANSACTION("pgbouncer-transaction");

    private final String settingValue;

    Pooler(String settingValue) {
        this.settingValue = settingValue;
    }

    /** The value as {@code DB_POOLER} spells it, for example {@code pgbouncer-transaction}. */
    public String settingValue() {
        return settingValue;
    }

    /** Whether transactions of one connection may run on different server sessions. */
    public boolean sharesSessions() {
        return this == PGBOUNCER_TRANSACTION;
    }

    /**
     * Parses {@code none}, {@code pgbouncer-session} or {@code pgbouncer-transaction} (any case,
     * {@code _} for {@code -}).
     *
     * @throws ConfigurationException naming {@code setting} when the value is none of them
     */
    public static Pooler parse(String setting, String value) {
        String normalized = value.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        for (Pooler pooler : values()) {
            if (pooler.settingValue.equals(normalized)) {
                return pooler;
            }
        }
        throw new ConfigurationException(setting, "must be one of "
                + Arrays.stream(values()).map(Pooler::settingValue).collect(Collectors.joining(", "))
                + " but was '" + Durations.quote(value) + "'");
    }
}
