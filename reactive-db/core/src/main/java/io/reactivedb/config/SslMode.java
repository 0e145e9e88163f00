package io.reactivedb.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The PostgreSQL {@code sslmode} values, with the meaning libpq gives them. */
public enum SslMode {
    DISABLE("disable"),
    ALLOW("allow"),
    PREFER("prefer"),
    REQUIRE("require"),
    VERIFY_CA("verify-ca"),
    VERIFY_FULL("verify-full");

    private final String libpqName;

    SslMode(String libpqName) {
        this.libpqName = libpqName;
    }

    /** The name as libpq spells it, for example {@code verify-full}. */
    public String libpqName() {
        return libpqName;
    }

    /**
     * Parses a libpq name ({@code verify-full}) or an enum name ({@code VERIFY_FULL}).
     *
     * @throws ConfigurationException naming {@code setting} when the value is not a mode
     */
    public static SslMode parse(String setting, String value) {
        String normalized = value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (SslMode mode : values()) {
            if (mode.libpqName.equals(normalized)) {
                return mode;
            }
        }
        throw new ConfigurationException(setting, "must be one of "
                + Arrays.stream(values()).map(SslMode::libpqName).collect(Collectors.joining(", "))
                + " but was '" + value + "'");
    }
}
