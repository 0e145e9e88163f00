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
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** One parse of a {@link ConnectionUrl}: reads the text left to right and checks each part; its fields become the URL's. */
final class ConnectionUrlParser {

    static final List<String> SCHEMES = List.of(
            "postgresql://", "postgres://",
            "r2dbc:postgresql://", "r2dbc:postgres://",
            "r2dbc:pool:postgresql://", "r2dbc:pool:postgres://");
    private static final String FORM = "postgresql://[user[:password]@]host[:port][/database][?param=value&...]"
            + " (also postgres://, r2dbc:postgresql://, r2dbc:postgres://, r2dbc:pool:postgresql://)";

    static final String SSLMODE = "sslmode";
    static final String SSLROOTCERT = "sslrootcert";
    static final String SSLCERT = "sslcert";
    static final String SSLKEY = "sslkey";
    static final String APPLICATION_NAME = "application_name";
    static final String CONNECT_TIMEOUT = "connect_timeout";
    static final List<String> PARAMETERS = List.of(SSLMODE, SSLROOTCERT, SSLCERT, SSLKEY, APPLICATION_NAME, CONNECT_TIMEOUT);

    static final String UNENCODED_USERINFO = "an '@' follows the host, so the user information (user and password)"
            + " seems to hold an unencoded delimiter; the user information must be percent-encoded:"
            + " write @ as %40, : as %3A, / as %2F, ? as %3F, # as %23 and % as %25";

    static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
    static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
    static final Pattern DIGITS = Pattern.compile("\\d{1,5}");

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

    ConnectionUrlParser(String setting, String url) {
        this.setting = setting;
        this.url = url;
    }

    ConnectionUrlParser parse() {
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
        int authorityEnd = ConnectionUrl.firstDelimiter(rest);
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
        return new ConfigurationException(setting, "invalid URL '" + ConnectionUrl.redact(url) + "': " + problem + "; expected " + FORM);
    }
}
