package io.reactivedb.devservices;

import io.reactivedb.config.ConfigurationException;
import java.util.Locale;
import java.util.Objects;

/**
 * Where {@link DevServicesCluster#start(DevClusterOptions)} runs the servers.
 *
 * <ul>
 *   <li>{@link #AUTO} (the default): containers when Testcontainers is on the classpath and it finds
 *       a Docker engine, else the local binaries; when neither is usable the error names both;</li>
 *   <li>{@link #LOCAL}: the machine's PostgreSQL binaries ({@link DevCluster});</li>
 *   <li>{@link #CONTAINERS}: the official {@code postgres} image through Testcontainers; fails, saying
 *       why, without Testcontainers or Docker.</li>
 * </ul>
 * The environment variable {@value #ENV} ({@code auto}, {@code local}, {@code containers}) is read
 * only when the options say {@link #AUTO}: an explicit option wins.
 */
public enum DevClusterProvider {
    AUTO, LOCAL, CONTAINERS;

    /** The environment variable that chooses the provider when the options leave it at {@link #AUTO}: {@value}. */
    public static final String ENV = "REACTIVE_DB_DEV_PROVIDER";

    /** The lower-case name: {@code auto}, {@code local}, {@code containers}. */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * {@code auto}, {@code local} or {@code containers}, in any case, surrounding blanks ignored.
     *
     * @throws ConfigurationException naming {@value #ENV} for anything else
     */
    public static DevClusterProvider parse(String value) {
        Objects.requireNonNull(value, ENV);
        String wanted = value.strip().toLowerCase(Locale.ROOT);
        for (DevClusterProvider provider : values()) {
            if (provider.value().equals(wanted)) {
                return provider;
            }
        }
        throw new ConfigurationException(ENV, "must be auto, local or containers but was '" + value + "'");
    }
}
