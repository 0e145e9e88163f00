package io.reactivedb.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;


/**
 * A PostgreSQL connection URL, parsed and checked:
 * {@code scheme://[user[:password]@]host[:port][/database][?param=value&...]}.
 *
 * <p>Schemes, case-insensitive: {@code postgresql://}, {@code postgres://}, {@code r2dbc:postgresql://},
 * {@code r2dbc:postgres://}, {@code r2dbc:pool:postgresql://} and {@code r2dbc:pool:postgres://}.
 *
 * <p>User, password, database and parameter values are percent-decoded (UTF-8); a password that
 * contains {@code / ? # %} must percent-encode them ({@code %2F %3F %23 %25}). An unencoded {@code @}
 * or {@code :} in the password is tolerated: the user information ends at the last {@code @} before
 * the first {@code /}, {@code ?} or {@code #}. A URL that fails to parse and has an {@code @} after
 * that point (other than in a parameter's value) is reported as user information that must be
 * percent-encoded, not as the host, port or database that a piece of the password was read as. An IPv6 host is written in brackets ({@code [::1]:5432}); {@link #host()} returns it
 * without them. The port defaults to {@value EndpointSettings#DEFAULT_PORT}.
 *
 * <p>Query parameters (names are case-insensitive and may omit the underscore, so the r2dbc spellings
 * {@code sslMode} or {@code applicationName} are accepted too):
 * <ul>
 *   <li>{@code sslmode}: {@code disable}, {@code allow}, {@code prefer}, {@code require},
 *       {@code verify-ca}, {@code verify-full};</li>
 *   <li>{@code sslrootcert}, {@code sslcert}, {@code sslkey}: paths of readable files;</li>
 *   <li>{@code application_name};</li>
 *   <li>{@code connect_timeout}: plain integer in seconds as in libpq, or any {@link Durations} form;
 *       must be greater than zero.</li>
 * </ul>
 * Any other parameter, a repeated parameter, or a fragment ({@code #...}) is rejected.
 *
 * <p>Every error is a {@link ConfigurationException} naming the setting the URL came from and quoting
 * the URL with its password replaced by {@code ******} (see {@link #redact(String)}).
 * {@link #toString()} masks the password too.
 */
public final class ConnectionUrl {

    /** What a password is replaced with in messages. */
    static final String MASK = "******";


    private final String setting;
    private final String scheme;
    private final String host;
    private final OptionalInt explicitPort;
    private final Optional<String> database;
    private final Optional<String> username;
    private final Optional<Secret> password;
    private final Optional<SslMode> sslMode;
    private final Optional<Path> sslRootCert;
    private final Optional<Path> sslCert;
    private final Optional<Path> sslKey;
    private final Optional<String> applicationName;
    private final Optional<Duration> connectTimeout;
    private final Map<String, String> parameters;

    private ConnectionUrl(ConnectionUrlParser p) {
        this.setting = p.setting;
        this.scheme = p.scheme;
        this.host = p.host;
        this.explicitPort = p.explicitPort;
        this.database = p.database;
        this.username = p.username;
        this.password = p.password;
        this.sslMode = p.sslMode;
        this.sslRootCert = p.sslRootCert;
        this.sslCert = p.sslCert;
        this.sslKey = p.sslKey;
        this.applicationName = p.applicationName;
        this.connectTimeout = p.connectTimeout;
        this.parameters = Map.copyOf(p.parameters);
    }

    /**
     * Parses and checks a URL. Certificate and key paths must name readable files.
     *
     * @param setting where the URL came from, for messages: {@code DATABASE_URL},
     *                {@code DB_READ_REPLICA_URLS[2]}, …
     * @param url     the URL; surrounding whitespace is ignored
     * @throws ConfigurationException naming {@code setting} when the URL is malformed or a parameter
     *                                is unknown or invalid; the message never contains the password
     */
    public static ConnectionUrl parse(String setting, String url) {
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(url, "url");
        return new ConnectionUrl(new ConnectionUrlParser(setting, url.strip()).parse());
    }

    /**
     * Replaces the password in something that may be a connection URL with {@code ******}, for
     * messages and logs. It works on malformed URLs as well: everything between the first {@code :}
     * after {@code scheme://} and the last {@code @} is masked (which over-masks when a path or
     * parameter contains {@code @}); without an {@code @}, a non-numeric "port" is masked, since it
     * may be the start of a password that was split off. A {@code password=} parameter value is
     * masked too.
     */
    public static String redact(String url) {
        Objects.requireNonNull(url, "url");
        int schemeEnd = url.indexOf("://");
        int start = schemeEnd < 0 ? 0 : schemeEnd + 3;
        String prefix = url.substring(0, start);
        String rest = url.substring(start);
        String redacted;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userinfo = rest.substring(0, at);
            int colon = userinfo.indexOf(':');
            String user = colon < 0 ? userinfo : userinfo.substring(0, colon) + ":" + MASK;
            redacted = prefix + user + rest.substring(at, at + 1) + maskPasswordParameter(rest.substring(at + 1));
        } else {
            int end = firstDelimiter(rest);
            String authority = rest.substring(0, end);
            int colon = authority.lastIndexOf(':');
            if (colon >= 0 && !authority.startsWith("[") && !ConnectionUrlParser.DIGITS.matcher(authority.substring(colon + 1)).matches()
                    && colon + 1 < authority.length()) {
                authority = authority.substring(0, colon + 1) + MASK;
            }
            redacted = prefix + authority + maskPasswordParameter(rest.substring(end));
        }
        return redacted;
    }

    private static String maskPasswordParameter(String text) {
        return text.replaceAll("(?i)([?&]password=)[^&#]*", "$1" + MASK);
    }

    static int firstDelimiter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                return i;
            }
        }
        return s.length();
    }

    /** The setting the URL came from. */
    public String setting() { return setting; }
    /** The host name or IP address; an IPv6 address without brackets. */
    public String host() { return host; }
    /** The port of the URL, or {@value EndpointSettings#DEFAULT_PORT} when it has none. */
    public int port() { return explicitPort.orElse(EndpointSettings.DEFAULT_PORT); }
    /** The database of the URL's path, if it has one. */
    public Optional<String> database() { return database; }
    /** The user, if the URL has one. */
    public Optional<String> username() { return username; }
    /** The password, if the URL has a non-empty one. */
    public Optional<Secret> password() { return password; }
    public Optional<SslMode> sslMode() { return sslMode; }
    public Optional<Path> sslRootCert() { return sslRootCert; }
    public Optional<Path> sslCert() { return sslCert; }
    public Optional<Path> sslKey() { return sslKey; }
    /** {@code application_name}; it belongs to {@link SessionSettings}, which {@link #applyTo} does not touch. */
    public Optional<String> applicationName() { return applicationName; }
    /** {@code connect_timeout}; it belongs to {@link SessionSettings}, which {@link #applyTo} does not touch. */
    public Optional<Duration> connectTimeout() { return connectTimeout; }

    /** Whether the URL has any of {@code sslmode}, {@code sslrootcert}, {@code sslcert}, {@code sslkey}. */
    public boolean hasTlsParameters() {
        return sslMode.isPresent() || sslRootCert.isPresent() || sslCert.isPresent() || sslKey.isPresent();
    }

    /**
     * The URL's TLS parameters laid over {@code defaults}: each of {@code sslmode} and
     * {@code sslrootcert} is taken from the URL when it has it; the client certificate and key are a
     * pair and come together from the URL when it names either of them, otherwise from the defaults.
     *
     * @throws ConfigurationException naming this URL's setting when the URL names a certificate
     *                                without its key or the other way round, or when a verifying
     *                                {@code sslmode} is left without a root certificate
     */
    public TlsSettings tls(TlsSettings defaults) {
        Objects.requireNonNull(defaults, "defaults");
        if (!hasTlsParameters()) {
            return defaults;
        }
        if (sslCert.isPresent() != sslKey.isPresent()) {
            throw new ConfigurationException(setting, "sslcert and sslkey must be given together in '" + this + "'");
        }
        SslMode mode = sslMode.orElse(defaults.mode());
        Optional<Path> rootCert = sslRootCert.isPresent() ? sslRootCert : defaults.rootCert();
        boolean ownPair = sslCert.isPresent();
        Optional<Path> cert = ownPair ? sslCert : defaults.cert();
        Optional<Path> key = ownPair ? sslKey : defaults.key();
        if ((mode == SslMode.VERIFY_CA || mode == SslMode.VERIFY_FULL) && rootCert.isEmpty()) {
            throw new ConfigurationException(setting, "sslmode " + mode.libpqName()
                    + " needs a root certificate (sslrootcert in the URL or DB_SSLROOTCERT) in '" + this + "'");
        }
        return new TlsSettings(mode, rootCert, cert, key);
    }

    /**
     * Sets host, port (the URL's or {@value EndpointSettings#DEFAULT_PORT}), and, where the URL has
     * them, database, user and password on {@code builder}; when the URL has TLS parameters, also
     * {@code tls(TlsSettings.disabled())}. Use {@link #applyTo(EndpointSettings.Builder, TlsSettings)}
     * to lay the URL's TLS parameters over other defaults.
     *
     * @return {@code builder}
     */
    public EndpointSettings.Builder applyTo(EndpointSettings.Builder builder) {
        applyEndpoint(builder);
        if (hasTlsParameters()) {
            builder.tls(tls(TlsSettings.disabled()));
        }
        return builder;
    }

    /**
     * Like {@link #applyTo(EndpointSettings.Builder)}, but always sets {@code tls(tls(tlsDefaults))}.
     *
     * @return {@code builder}
     */
    public EndpointSettings.Builder applyTo(EndpointSettings.Builder builder, TlsSettings tlsDefaults) {
        applyEndpoint(builder);
        builder.tls(tls(tlsDefaults));
        return builder;
    }

    private void applyEndpoint(EndpointSettings.Builder builder) {
        Objects.requireNonNull(builder, "builder");
        builder.host(host).port(port());
        database.ifPresent(builder::database);
        username.ifPresent(builder::username);
        password.ifPresent(builder::password);
    }

    /** The URL with its password replaced by {@code ******}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(scheme);
        username.ifPresent(u -> sb.append(encode(u)));
        password.ifPresent(p -> sb.append(':').append(MASK));
        if (username.isPresent() || password.isPresent()) {
            sb.append('@');
        }
        sb.append(host.indexOf(':') >= 0 ? "[" + host + "]" : host);
        explicitPort.ifPresent(p -> sb.append(':').append(p));
        database.ifPresent(d -> sb.append('/').append(encode(d)));
        char separator = '?';
        for (Map.Entry<String, String> parameter : parameters.entrySet()) {
            sb.append(separator).append(parameter.getKey()).append('=').append(encode(parameter.getValue()));
            separator = '&';
        }
        return sb.toString();
    }

    private static String encode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return sb.toString();
    }

}
