package io.reactivedb.config;

import java.util.Objects;

/**
 * A user name and its password, for a login other than the endpoint's own (the health probes').
 * {@link #toString()} masks the password.
 *
 * @param username the PostgreSQL role; not blank
 * @param password its password; {@link Secret#empty()} for password-less authentication
 */
public record Credentials(String username, Secret password) {

    public Credentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (username.isBlank()) {
            throw new ConfigurationException("DB_HEALTH_USER", "must not be blank");
        }
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + ", password=" + password + "]";
    }
}
