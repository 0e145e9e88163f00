package io.reactivedb.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules of production mode ({@link ReactiveDbSettings#productionMode()}): configurations that
 * work but expose credentials or data are refused at startup. Each refusal is a
 * {@link ConfigurationException} naming the setting to change; no message carries a password.
 */
final class ProductionChecks {

    /** The environment variable that turns production mode on. */
    static final String SETTING = "DB_PRODUCTION_MODE";

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = Set.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private ProductionChecks() {
    }

    static void check(ReactiveDbSettings settings) {
        check(settings.primary(), settings);
        settings.replicas().forEach(replica -> check(replica, settings));
        settings.probeCredentials().ifPresent(probe -> {
            if (isSuperuser(probe.username())) {
                throw refused("DB_HEALTH_USER", "health probes log in as the superuser " + probe.username()
                        + "; give them a role with pg_monitor only");
            }
            if (probe.password().isEmpty()) {
                throw refused("DB_HEALTH_PASSWORD", "health probes log in as " + probe.username() + " without a password;"
                        + " set DB_HEALTH_PASSWORD or DB_HEALTH_PASSWORD_FILE");
            }
        });
    }

    private static void check(EndpointSettings endpoint, ReactiveDbSettings settings) {
        TlsSettings tls = endpoint.tls();
        if (tls.mode() != SslMode.VERIFY_FULL && !isLoopback(endpoint.host())) {
            throw refused("DB_SSLMODE", "endpoint " + endpoint.describe() + " uses sslmode " + tls.mode().libpqName()
                    + "; toward a host that is not loopback only verify-full (with DB_SSLROOTCERT) keeps the password"
                    + " and the data from a man in the middle");
        }
        if (isSuperuser(endpoint.username())) {
            throw refused("DB_USER", "endpoint " + endpoint.describe() + " logs in as the superuser " + endpoint.username()
                    + "; use a role that can only read and write the application's tables");
        }
        if (endpoint.password().isEmpty() && tls.cert().isEmpty()) {
            throw refused("DB_PASSWORD", "endpoint " + endpoint.describe() + " logs in as " + endpoint.username()
                    + " with neither a password (DB_PASSWORD, DB_PASSWORD_FILE or the URL) nor a client certificate"
                    + " (DB_SSLCERT)");
        }
        tls.key().ifPresent(ProductionChecks::checkPrivate);
    }

    /** As libpq does for {@code sslkey}: a private key that group or others may read or write is refused. */
    private static void checkPrivate(Path key) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(key);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new ConfigurationException("DB_SSLKEY", "cannot read the permissions of '" + key + "' ("
                    + e.getClass().getSimpleName() + ")");
        }
        for (PosixFilePermission permission : permissions) {
            if (GROUP_OR_OTHERS.contains(permission)) {
                throw refused("DB_SSLKEY", "the client key '" + key + "' is accessible to group or others ("
                        + PosixFilePermissions.toString(permissions) + "); make it rw------- (chmod 600)");
            }
        }
    }

    private static boolean isSuperuser(String username) {
        return username.equals(EndpointSettings.DEFAULT_USERNAME);
    }

    /**
     * {@code localhost} or a loopback address literal. Host names other than {@code localhost} are not
     * resolved: a name that resolves to loopback today may not tomorrow, and DNS is not trusted here.
     */
    static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.equals("localhost")) {
            return true;
        }
        if (!IPV4.matcher(h).matches() && !h.contains(":")) {
            return false;
        }
        try {
            // A literal address: no name service lookup happens.
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static ConfigurationException refused(String setting, String message) {
        return new ConfigurationException(setting, "refused in production mode (" + SETTING + "): " + message);
    }
}
