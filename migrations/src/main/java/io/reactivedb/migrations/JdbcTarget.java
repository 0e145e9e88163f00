package io.reactivedb.migrations;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Properties;

import org.postgresql.Driver;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.TlsSettings;

/**
 * The JDBC form of the primary endpoint of {@link ReactiveDbSettings}: a URL without credentials
 * ({@code jdbc:postgresql://host:port/db?sslmode=…&ApplicationName=reactive-db-migrations}) and the
 * user and password as connection properties, so the password never appears in a URL or a log.
 * Migrations always run against the primary; replicas receive them by replication.
 */
public final class JdbcTarget {

    /** The {@code application_name} of migration sessions. */
    public static final String APPLICATION_NAME = "reactive-db-migrations";

    private final EndpointSettings endpoint;
    private final String url;
    private final int connectTimeoutSeconds;

    private JdbcTarget(EndpointSettings endpoint, int connectTimeoutSeconds) {
        this.endpoint = endpoint;
        this.connectTimeoutSeconds = connectTimeoutSeconds;
        this.url = buildUrl(endpoint);
    }

    /** The primary of {@code settings}, with its connect timeout (at least one second). */
    public static JdbcTarget primaryOf(ReactiveDbSettings settings) {
        Objects.requireNonNull(settings, "settings");
        long seconds = Math.max(1, settings.session().connectTimeout().toSeconds());
        return new JdbcTarget(settings.primary(), (int) Math.min(Integer.MAX_VALUE, seconds));
    }

    private static String buildUrl(EndpointSettings endpoint) {
        String host = endpoint.host().contains(":") && !endpoint.host().startsWith("[") ? "[" + endpoint.host() + "]" : endpoint.host();
        TlsSettings tls = endpoint.tls();
        StringBuilder url = new StringBuilder("jdbc:postgresql://").append(host).append(':').append(endpoint.port())
                .append('/').append(encode(endpoint.database()))
                .append("?sslmode=").append(tls.mode().libpqName());
        tls.rootCert().ifPresent(path -> param(url, "sslrootcert", path));
        tls.cert().ifPresent(path -> param(url, "sslcert", path));
        tls.key().ifPresent(path -> param(url, "sslkey", path));
        url.append("&ApplicationName=").append(APPLICATION_NAME);
        return url.toString();
    }

    private static void param(StringBuilder url, String name, Path path) {
        url.append('&').append(name).append('=').append(encode(path.toString()));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The JDBC URL; it holds no credentials, so it may be logged. */
    public String url() {
        return url;
    }

    /** The endpoint this target connects to. */
    public EndpointSettings endpoint() {
        return endpoint;
    }

    /** {@code primary (host:port/db)}, for messages. */
    public String describe() {
        return endpoint.describe();
    }

    /** Connection properties: user, password (when there is one) and timeouts. Never log them. */
    public Properties properties() {
        Properties props = new Properties();
        props.setProperty("user", endpoint.username());
        if (!endpoint.password().isEmpty()) {
            props.setProperty("password", endpoint.password().reveal());
        }
        props.setProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
        props.setProperty("loginTimeout", Integer.toString(connectTimeoutSeconds));
        return props;
    }

    /** Opens a new connection with the pgjdbc driver. Blocking. */
    public Connection connect() throws SQLException {
        Connection connection = new Driver().connect(url, properties());
        if (connection == null) {
            throw new SQLException("pgjdbc did not accept the URL " + url);
        }
        return connection;
    }

    @Override
    public String toString() {
        return "JdbcTarget[" + url + ", user=" + endpoint.username() + "]";
    }
}
