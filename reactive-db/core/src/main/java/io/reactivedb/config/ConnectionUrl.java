package io.reactivedb.config;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

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

    private static final List<String> SCHEMES = List.of(
            "postgresql://", "postgres://",
            "r2dbc:postgresql://", "r2dbc:postgres://",
            "r2dbc:pool:postgresql://", "r2dbc:pool:postgres://");
    private static final String FORM = "postgresql://[user[:password]@]host[:port][/database][?param=value&...]"
            + " (also postgres://, r2dbc:postgresql://, r2dbc:postgres://, r2dbc:pool:postgresql://)";

    private static final String SSLMODE = "sslmode";
    private static final String SSLROOTCERT = "sslrootcert";
    private static final String SSLCERT = "sslcert";
    private static final String SSLKEY = "sslkey";
    private static final String APPLICATION_NAME = "application_name";
    private static final String CONNECT_TIMEOUT = "connect_timeout";
    private static final List<String> PARAMETERS = List.of(SSLMODE, SSLROOTCERT, SSLCERT, SSLKEY, APPLICATION_NAME, CONNECT_TIMEOUT);

    private static final String UNENCODED_USERINFO = "an '@' follows the host, so the user information (user and password)"
            + " seems to hold an unencoded delimiter; the user information must be percent-encoded:"
            + " write @ as %40, : as %3A, / as %2F, ? as %3F, # as %23 and % as %25";

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,5}");

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

    private ConnectionUrl(Parser p) {
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
        return new ConnectionUrl(new Parser(setting, url.strip()).parse());
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
            if (colon >= 0 && !authority.startsWith("[") && !DIGITS.matcher(authority.substring(colon + 1)).matches()
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

    private static int firstDelimiter(String s) {
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

    /** One parse; its fields become the URL's. */
    private static final class Parser {
        final String setting;
        final String url;
        String scheme = "";
        String host = "";
        OptionalInt explicitPort = OptionalInt.empty();
        Optional<String> database = Optional.empty();
        Optional<String> username = Optional.empty();
        Optional<Secret> password = Optional.empty();
        Optional<SslMode> sslMode = Optional.empty();
        Optional<Path> sslRootCert = Optional.empty();
        Optional<Path> sslCert = Optional.empty();
        Optional<Path> sslKey = Optional.empty();
        Optional<String> applicationName = Optional.empty();
        Optional<Duration> connectTimeout = Optional.empty();
        final Map<String, String> parameters = new LinkedHashMap<>();

        Parser(String setting, String url) {
            this.setting = setting;
            this.url = url;
        }

        Parser parse() {
            if (url.isEmpty()) {
                throw new ConfigurationException(setting, "must not be empty; expected " + FORM);
            }
            String lower = url.toLowerCase(Locale.ROOT);
            for (String candidate : SCHEMES) {
                if (lower.startsWith(candidate)) {
                    scheme = candidate;
                }
            }
            if (scheme.isEmpty()) {
                // Do not quote a value without a recognised scheme: it might be a bare password.
                int schemeEnd = url.indexOf("://");
                String found = schemeEnd > 0 && schemeEnd <= 32 && url.substring(0, schemeEnd).matches("[A-Za-z0-9+.:-]+")
                        ? "starts with '" + url.substring(0, schemeEnd + 3) + "'"
                        : "has no scheme";
                throw new ConfigurationException(setting, "is not a PostgreSQL URL: it " + found + "; expected " + FORM);
            }
            String rest = url.substring(scheme.length());
            int authorityEnd = firstDelimiter(rest);
            String authority = rest.substring(0, authorityEnd);
            String afterAuthority = rest.substring(authorityEnd);
            int at = authority.lastIndexOf('@');
            if (at >= 0) {
                parseUserinfo(authority.substring(0, at));
                authority = authority.substring(at + 1);
            }
            // The user information ends at the last '@' before the first '/', '?' or '#'. A password
            // holding one of those and an '@' is split elsewhere, and the error would otherwise be
            // about a piece of the password read as a host, port or database, on a URL whose
            // masked form looks right.
            int question = afterAuthority.indexOf('?');
            try {
                parseHostAndPort(authority);
                if (afterAuthority.indexOf('#') >= 0) {
                    throw malformed("a fragment (#...) is not allowed; percent-encode # as %23");
                }
                String path = question < 0 ? afterAuthority : afterAuthority.substring(0, question);
                if (!path.isEmpty()) {
                    parseDatabase(path);
                }
            } catch (ConfigurationException e) {
                if (afterAuthority.indexOf('@') >= 0) {
                    throw malformed(UNENCODED_USERINFO);
                }
                throw e;
            }
            // An '@' may stand in a parameter's value (a path, an application name), never in its name.
            if (question >= 0) {
                parseQuery(afterAuthority.substring(question + 1));
            }
            return this;
        }

        private void parseUserinfo(String userinfo) {
            int colon = userinfo.indexOf(':');
            String rawUser = colon < 0 ? userinfo : userinfo.substring(0, colon);
            if (!rawUser.isEmpty()) {
                String user = decode(rawUser, "the user");
                if (user.isBlank()) {
                    throw malformed("the user must not be blank");
                }
                username = Optional.of(user);
            }
            if (colon >= 0) {
                // Never quote the password or any part of it, even when it is invalid.
                String secret = decode(userinfo.substring(colon + 1), "the password");
                if (!secret.isEmpty()) {
                    password = Optional.of(Secret.of(secret));
                }
            }
        }

        private void parseHostAndPort(String hostAndPort) {
            @Nullable String portText = null;
            if (hostAndPort.startsWith("[")) {
                int close = hostAndPort.indexOf(']');
                if (close < 0) {
                    throw malformed("the IPv6 address lacks its closing ]");
                }
                host = hostAndPort.substring(1, close);
                if (!IPV6.matcher(host).matches() || host.indexOf(':') < 0) {
                    throw malformed("'" + host + "' is not an IPv6 address");
                }
                String after = hostAndPort.substring(close + 1);
                if (after.startsWith(":")) {
                    portText = after.substring(1);
                } else if (!after.isEmpty()) {
                    throw malformed("unexpected text after the IPv6 address");
                }
            } else {
                int colon = hostAndPort.indexOf(':');
                host = colon < 0 ? hostAndPort : hostAndPort.substring(0, colon);
                if (colon >= 0) {
                    portText = hostAndPort.substring(colon + 1);
                }
                if (host.isEmpty()) {
                    throw malformed("the host is missing");
                }
                if (host.indexOf(',') >= 0) {
                    throw malformed("several hosts are not supported; list replicas in DB_READ_REPLICA_URLS");
                }
                if (!HOST.matcher(host).matches()) {
                    throw malformed("the host may contain only letters, digits, '.', '-' and '_' (IPv6 in brackets)");
                }
            }
            if (portText != null) {
                if (!DIGITS.matcher(portText).matches() || Integer.parseInt(portText) < 1 || Integer.parseInt(portText) > 65535) {
                    throw malformed("the port must be an integer between 1 and 65535");
                }
                explicitPort = OptionalInt.of(Integer.parseInt(portText));
            }
        }

        private void parseDatabase(String path) {
            String raw = path.substring(1);
            if (raw.isEmpty()) {
                return;
            }
            if (raw.indexOf('/') >= 0) {
                throw malformed("the path must be a single database name; percent-encode / as %2F");
            }
            String name = decode(raw, "the database");
            if (name.isBlank()) {
                throw malformed("the database must not be blank");
            }
            database = Optional.of(name);
        }

        private void parseQuery(String query) {
            for (String pair : query.split("&", -1)) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String rawName = eq < 0 ? pair : pair.substring(0, eq);
                if (rawName.indexOf('@') >= 0) {
                    throw malformed(UNENCODED_USERINFO);
                }
                String name = canonicalParameter(decode(rawName, "a parameter name"));
                if (eq < 0) {
                    throw malformed("parameter " + name + " has no value (expected name=value)");
                }
                String value = decode(pair.substring(eq + 1), "parameter " + name);
                if (parameters.put(name, value) != null) {
                    throw malformed("parameter " + name + " is given twice");
                }
                applyParameter(name, value);
            }
        }

        private String canonicalParameter(String name) {
            String squashed = name.toLowerCase(Locale.ROOT).replace("_", "");
            for (String known : PARAMETERS) {
                if (known.replace("_", "").equals(squashed)) {
                    return known;
                }
            }
            // The name may be anything, even a misplaced secret: quote only a harmless-looking one.
            String shown = name.matches("[A-Za-z0-9_.-]{1,40}") ? "'" + name + "'" : "(name not shown)";
            throw malformed("unknown parameter " + shown + "; accepted parameters are " + String.join(", ", PARAMETERS));
        }

        private void applyParameter(String name, String value) {
            String where = setting + " parameter " + name;
            switch (name) {
                case SSLMODE:
                    sslMode = Optional.of(parseSslMode(value));
                    break;
                case SSLROOTCERT:
                    sslRootCert = Optional.of(readableFile(value, name));
                    break;
                case SSLCERT:
                    sslCert = Optional.of(readableFile(value, name));
                    break;
                case SSLKEY:
                    sslKey = Optional.of(readableFile(value, name));
                    break;
                case APPLICATION_NAME:
                    if (!value.matches("[\\x20-\\x7E]{1,63}")) {
                        throw malformed("application_name must be 1 to 63 printable ASCII characters");
                    }
                    applicationName = Optional.of(value);
                    break;
                case CONNECT_TIMEOUT:
                    Duration timeout;
                    try {
                        timeout = Durations.parse(where, value, ChronoUnit.SECONDS);
                    } catch (ConfigurationException e) {
                        throw malformed("connect_timeout " + e.getMessage().substring(where.length() + 2));
                    }
                    if (timeout.isZero()) {
                        throw malformed("connect_timeout must be > 0 (waiting forever is not supported)");
                    }
                    connectTimeout = Optional.of(timeout);
                    break;
                default:
                    throw new IllegalStateException(name);
            }
        }

        private SslMode parseSslMode(String value) {
            try {
                return SslMode.parse(SSLMODE, value);
            } catch (ConfigurationException e) {
                throw malformed(e.getMessage());
            }
        }

        private Path readableFile(String value, String name) {
            Path path;
            try {
                path = Path.of(value);
            } catch (InvalidPathException e) {
                throw malformed(name + " is not a valid path");
            }
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                throw malformed(name + " must name a readable file but '" + value + "' is not one");
            }
            return path;
        }

        /** Percent-decodes UTF-8; {@code what} names the part for messages, whose text is never quoted. */
        private String decode(String raw, String what) {
            if (raw.indexOf('%') < 0) {
                return raw;
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
            for (int i = 0; i < raw.length(); i++) {
                char c = raw.charAt(i);
                if (c == '%') {
                    if (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0
                            || Character.digit(raw.charAt(i + 2), 16) < 0) {
                        throw malformed(what + " has an invalid percent-encoding (write % as %25)");
                    }
                    bytes.write(Character.digit(raw.charAt(i + 1), 16) * 16 + Character.digit(raw.charAt(i + 2), 16));
                    i += 2;
                } else {
                    int next = raw.indexOf('%', i);
                    int end = next < 0 ? raw.length() : next;
                    bytes.writeBytes(raw.substring(i, end).getBytes(StandardCharsets.UTF_8));
                    i = end - 1;
                }
            }
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes.toByteArray()))
                        .toString();
            } catch (CharacterCodingException e) {
                throw malformed(what + " is not valid UTF-8 after percent-decoding");
            }
        }

        private ConfigurationException malformed(String problem) {
            return new ConfigurationException(setting, "invalid URL '" + redact(url) + "': " + problem + "; expected " + FORM);
        }
    }
}
