package io.reactivedb.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds {@link ReactiveDbSettings} from environment variables. This is the one place where they are
 * read and converted; everything else takes the typed settings.
 *
 * <p>Values are trimmed, and an empty value counts as unset ({@code DB_PASSWORD} is taken verbatim,
 * only an empty one counts as unset). Durations take every form of {@link Durations}; a plain
 * number is in the unit the table gives.
 *
 * <table>
 *   <caption>Environment variables</caption>
 *   <tr><th>Name</th><th>Form</th><th>Default</th></tr>
 *   <tr><td>{@code DATABASE_URL}</td><td>primary URL, see {@link ConnectionUrl}</td><td>none; this or {@code DB_HOST} is required</td></tr>
 *   <tr><td>{@code DB_HOST}</td><td>host name or IP address</td><td>none</td></tr>
 *   <tr><td>{@code DB_PORT}</td><td>integer 1 to 65535</td><td>5432</td></tr>
 *   <tr><td>{@code DB_USER}</td><td>string</td><td>{@code postgres}</td></tr>
 *   <tr><td>{@code DB_NAME}</td><td>string</td><td>the user name, as PostgreSQL does</td></tr>
 *   <tr><td>{@code DB_PASSWORD}</td><td>string</td><td>none</td></tr>
 *   <tr><td>{@code DB_PASSWORD_FILE}</td><td>path of a file holding the password, re-read for every new connection</td><td>none</td></tr>
 *   <tr><td>{@code DB_READ_REPLICA_URLS}</td><td>comma-separated URLs</td><td>no replicas</td></tr>
 *   <tr><td>{@code DB_READ_REPLICA_<n>_WEIGHT}</td><td>integer 1 to 1000</td><td>1</td></tr>
 *   <tr><td>{@code DB_POOL_MIN}</td><td>integer &gt;= 0</td><td>1</td></tr>
 *   <tr><td>{@code DB_POOL_SIZE}</td><td>integer &gt;= 1</td><td>10</td></tr>
 *   <tr><td>{@code DB_MAX_OVERFLOW}</td><td>integer &gt;= 0; maximum connections = size + overflow</td><td>0</td></tr>
 *   <tr><td>{@code DB_POOL_TIMEOUT}</td><td>duration &gt; 0, plain number in seconds</td><td>30 s</td></tr>
 *   <tr><td>{@code DB_POOL_RECYCLE}</td><td>duration &gt; 0, plain number in seconds</td><td>30 min</td></tr>
 *   <tr><td>{@code DB_POOL_MAX_IDLE}</td><td>duration &gt; 0, plain number in seconds</td><td>10 min</td></tr>
 *   <tr><td>{@code DB_POOL_VALIDATION_QUERY}</td><td>SQL</td><td>none (local socket check)</td></tr>
 *   <tr><td>{@code DB_CONNECT_TIMEOUT}</td><td>duration &gt; 0, plain number in seconds</td><td>10 s</td></tr>
 *   <tr><td>{@code DB_STATEMENT_TIMEOUT}</td><td>duration, plain number in milliseconds; 0 leaves the server's</td><td>server's</td></tr>
 *   <tr><td>{@code DB_LOCK_TIMEOUT}</td><td>duration, plain number in milliseconds; 0 leaves the server's</td><td>server's</td></tr>
 *   <tr><td>{@code DB_IDLE_IN_TRANSACTION_TIMEOUT}</td><td>duration, plain number in milliseconds; 0 leaves the server's</td><td>server's</td></tr>
 *   <tr><td>{@code DB_STATEMENT_CACHE_SIZE}</td><td>integer &gt;= 0: named prepared statements kept per connection (LRU); 0 = unnamed statements only</td><td>256</td></tr>
 *   <tr><td>{@code DB_POOLER}</td><td>{@code none}, {@code pgbouncer-session}, {@code pgbouncer-transaction}: what sits in front of the servers (see {@link Pooler})</td><td>{@code none}</td></tr>
 *   <tr><td>{@code DB_APPLICATION_NAME}</td><td>1 to 63 printable ASCII characters</td><td>{@code reactive-db}</td></tr>
 *   <tr><td>{@code DB_SSLMODE}</td><td>{@code disable}, {@code allow}, {@code prefer}, {@code require}, {@code verify-ca}, {@code verify-full}</td><td>{@code disable}</td></tr>
 *   <tr><td>{@code DB_SSLROOTCERT}, {@code DB_SSLCERT}, {@code DB_SSLKEY}</td><td>paths of readable files</td><td>none</td></tr>
 *   <tr><td>{@code DB_REPLICA_SELECTION}</td><td>{@code weighted-round-robin} or {@code least-in-flight}</td><td>{@code weighted-round-robin}</td></tr>
 *   <tr><td>{@code DB_SHUTDOWN_TIMEOUT}</td><td>duration &gt; 0, plain number in seconds</td><td>30 s</td></tr>
 *   <tr><td>{@code DB_HEALTH_USER}</td><td>role the health probes log in as</td><td>the endpoint's user</td></tr>
 *   <tr><td>{@code DB_HEALTH_PASSWORD}, {@code DB_HEALTH_PASSWORD_FILE}</td><td>its password, verbatim or from a file re-read for every new connection</td><td>none</td></tr>
 *   <tr><td>{@code DB_MIGRATION_USER}</td><td>role migrations log in as (DDL), see {@link #migrationSettings(Map, ReactiveDbSettings)}</td><td>the primary's user</td></tr>
 *   <tr><td>{@code DB_MIGRATION_PASSWORD}, {@code DB_MIGRATION_PASSWORD_FILE}</td><td>its password, verbatim or from a file</td><td>none</td></tr>
 *   <tr><td>{@code DB_PRODUCTION_MODE}</td><td>{@code true}, {@code false}, {@code 1}, {@code 0}, {@code yes}, {@code no}: refuse insecure settings (see {@link ReactiveDbSettings})</td><td>{@code false}</td></tr>
 * </table>
 *
 * <p>Rules:
 * <ul>
 *   <li>Set either {@code DATABASE_URL} or {@code DB_HOST}; {@code DB_PORT}, {@code DB_USER} and
 *       {@code DB_NAME} go only with {@code DB_HOST}. {@code DB_PASSWORD} or {@code DB_PASSWORD_FILE}
 *       (only one of them) supplies the password with either form, but not when the URL has one.</li>
 *   <li>Replica {@code n} (1-based) of {@code DB_READ_REPLICA_URLS} is named {@code replica-n}; its
 *       errors name {@code DB_READ_REPLICA_URLS[n]}. A replica URL without a user takes the primary's
 *       user; without a password it takes the primary's password when its user is the primary's;
 *       without a database it takes the primary's.</li>
 *   <li>{@code DB_SSL*} apply to every endpoint; a URL's {@code sslmode} and {@code sslrootcert}
 *       override them one by one, its {@code sslcert} and {@code sslkey} as a pair.</li>
 *   <li>{@code application_name} and {@code connect_timeout} in {@code DATABASE_URL} set the shared
 *       session settings; they must agree with {@code DB_APPLICATION_NAME} and
 *       {@code DB_CONNECT_TIMEOUT} when both are set, and in a replica URL they must equal the
 *       resulting value.</li>
 *   <li>Other names are ignored, but a name within two edits of a known one ({@code DB_POOL_SIZ}) or
 *       equal to one but for case is logged as a warning that names both, never a value.</li>
 * </ul>
 */
public final class EnvironmentSettings {

    public static final String DATABASE_URL = "DATABASE_URL";
    public static final String DB_HOST = "DB_HOST";
    public static final String DB_PORT = "DB_PORT";
    public static final String DB_USER = "DB_USER";
    public static final String DB_NAME = "DB_NAME";
    public static final String DB_PASSWORD = "DB_PASSWORD";
    public static final String DB_PASSWORD_FILE = "DB_PASSWORD_FILE";
    public static final String DB_READ_REPLICA_URLS = "DB_READ_REPLICA_URLS";
    public static final String DB_POOL_MIN = "DB_POOL_MIN";
    public static final String DB_POOL_SIZE = "DB_POOL_SIZE";
    public static final String DB_MAX_OVERFLOW = "DB_MAX_OVERFLOW";
    public static final String DB_POOL_TIMEOUT = "DB_POOL_TIMEOUT";
    public static final String DB_POOL_RECYCLE = "DB_POOL_RECYCLE";
    public static final String DB_POOL_MAX_IDLE = "DB_POOL_MAX_IDLE";
    public static final String DB_POOL_VALIDATION_QUERY = "DB_POOL_VALIDATION_QUERY";
    public static final String DB_CONNECT_TIMEOUT = "DB_CONNECT_TIMEOUT";
    public static final String DB_STATEMENT_TIMEOUT = "DB_STATEMENT_TIMEOUT";
    public static final String DB_IDLE_IN_TRANSACTION_TIMEOUT = "DB_IDLE_IN_TRANSACTION_TIMEOUT";
    public static final String DB_LOCK_TIMEOUT = "DB_LOCK_TIMEOUT";
    public static final String DB_APPLICATION_NAME = "DB_APPLICATION_NAME";
    public static final String DB_MAX_MESSAGE_SIZE = "DB_MAX_MESSAGE_SIZE";
    public static final String DB_STATEMENT_CACHE_SIZE = "DB_STATEMENT_CACHE_SIZE";
    public static final String DB_POOLER = "DB_POOLER";
    public static final String DB_SSLMODE = "DB_SSLMODE";
    public static final String DB_SSLROOTCERT = "DB_SSLROOTCERT";
    public static final String DB_SSLCERT = "DB_SSLCERT";
    public static final String DB_SSLKEY = "DB_SSLKEY";
    public static final String DB_REPLICA_SELECTION = "DB_REPLICA_SELECTION";
    public static final String DB_SHUTDOWN_TIMEOUT = "DB_SHUTDOWN_TIMEOUT";
    public static final String DB_HEALTH_USER = "DB_HEALTH_USER";
    public static final String DB_HEALTH_PASSWORD = "DB_HEALTH_PASSWORD";
    public static final String DB_HEALTH_PASSWORD_FILE = "DB_HEALTH_PASSWORD_FILE";
    public static final String DB_MIGRATION_USER = "DB_MIGRATION_USER";
    public static final String DB_MIGRATION_PASSWORD = "DB_MIGRATION_PASSWORD";
    public static final String DB_MIGRATION_PASSWORD_FILE = "DB_MIGRATION_PASSWORD_FILE";
    public static final String DB_PRODUCTION_MODE = ProductionChecks.SETTING;
    /** The shape of the per-replica weight variables, {@code DB_READ_REPLICA_<n>_WEIGHT}. */
    public static final String DB_READ_REPLICA_WEIGHT = "DB_READ_REPLICA_<n>_WEIGHT";

    /** Every name this parser reads; the weight variables are represented by their shape. */
    static final List<String> KNOWN_NAMES = List.of(DATABASE_URL, DB_HOST, DB_PORT, DB_USER, DB_NAME, DB_PASSWORD,
            DB_PASSWORD_FILE, DB_READ_REPLICA_URLS, DB_READ_REPLICA_WEIGHT, DB_POOL_MIN, DB_POOL_SIZE, DB_MAX_OVERFLOW,
            DB_POOL_TIMEOUT, DB_POOL_RECYCLE, DB_POOL_MAX_IDLE, DB_POOL_VALIDATION_QUERY, DB_CONNECT_TIMEOUT,
            DB_STATEMENT_TIMEOUT, DB_IDLE_IN_TRANSACTION_TIMEOUT, DB_LOCK_TIMEOUT, DB_APPLICATION_NAME, DB_SSLMODE,
            DB_SSLROOTCERT, DB_SSLCERT, DB_SSLKEY, DB_REPLICA_SELECTION, DB_SHUTDOWN_TIMEOUT, DB_MAX_MESSAGE_SIZE,
            DB_STATEMENT_CACHE_SIZE, DB_POOLER,
            DB_HEALTH_USER, DB_HEALTH_PASSWORD, DB_HEALTH_PASSWORD_FILE, DB_MIGRATION_USER, DB_MIGRATION_PASSWORD,
            DB_MIGRATION_PASSWORD_FILE, DB_PRODUCTION_MODE,
            // Read by the router builder's fromEnvironment (resilience and health), listed so that
            // the typo check knows them.
            "DB_MAX_RETRIES", "DB_RETRY_DELAY", "DB_RETRY_BACKOFF", "DB_RETRY_MAX_DELAY", "DB_RETRY_MAX_TOTAL",
            "DB_CIRCUIT_BREAKER_THRESHOLD", "DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "DB_CIRCUIT_BREAKER_MIN_CALLS",
            "DB_CIRCUIT_BREAKER_WINDOW", "DB_CIRCUIT_BREAKER_SLOW_CALL", "DB_QUERY_TIMEOUT", "DB_SLOW_QUERY_THRESHOLD",
            "DB_HEALTH_INTERVAL", "DB_HEALTH_TIMEOUT", "DB_MAX_REPLICA_LAG", "DB_MAX_REPLICA_LAG_BYTES",
            "DB_HEALTH_FAILURES_BEFORE_DOWN", "DB_HEALTH_RECHECK_INTERVAL", "DB_STALL_TIMEOUT",
            // Read by the pool tuning advice (diagnostics.PoolAdviceSettings.fromEnvironment).
            "DB_INSTANCE_COUNT", "DB_SERVER_CORES", "DB_EFFECTIVE_SPINDLES");

    private static final Logger LOG = LoggerFactory.getLogger(EnvironmentSettings.class);
    private static final Pattern WEIGHT = Pattern.compile("DB_READ_REPLICA_(\\d+)_WEIGHT");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final int MAX_TYPO_DISTANCE = 2;

    private EnvironmentSettings() {
    }

    /** {@link #parse(Map)} of {@link System#getenv()}. */
    public static ReactiveDbSettings fromEnvironment() {
        return parse(System.getenv());
    }

    /**
     * Parses the variables and builds the settings.
     *
     * @throws ConfigurationException naming the first invalid variable, or {@code DATABASE_URL} when
     *                                no primary is configured
     */
    public static ReactiveDbSettings parse(Map<String, String> env) {
        return parseToBuilder(env).build();
    }

    /**
     * The settings schema migrations run with: {@code settings}' primary only, logging in as
     * {@code DB_MIGRATION_USER} with {@code DB_MIGRATION_PASSWORD} or {@code DB_MIGRATION_PASSWORD_FILE}
     * when that is set (a role that may run DDL, which the application's role should not), else
     * with the primary's own login.
     *
     * @throws ConfigurationException naming the invalid variable
     */
    public static ReactiveDbSettings migrationSettings(Map<String, String> env, ReactiveDbSettings settings) {
        Objects.requireNonNull(settings, "settings");
        Optional<Credentials> login = new Parse(Objects.requireNonNull(env, "env"))
                .credentials(DB_MIGRATION_USER, DB_MIGRATION_PASSWORD, DB_MIGRATION_PASSWORD_FILE);
        EndpointSettings primary = login.map(credentials -> settings.primary().toBuilder()
                .username(credentials.username()).password(credentials.password()).build()).orElse(settings.primary());
        return settings.toBuilder().primary(primary).replicas(List.of()).build();
    }

    /**
     * Parses the variables into a builder, so that a caller can override some settings before
     * {@code build()}. Without {@code DATABASE_URL} and {@code DB_HOST} the builder has no primary;
     * the caller must set one.
     *
     * @throws ConfigurationException naming the first invalid variable
     */
    public static ReactiveDbSettings.Builder parseToBuilder(Map<String, String> env) {
        Objects.requireNonNull(env, "env");
        for (String warning : likelyTypos(env.keySet())) {
            LOG.warn("{}", warning);
        }
        return new Parse(env).run();
    }

    /**
     * Warnings for names that are not settings but look like misspelt ones. The warnings contain
     * names only, never values.
     */
    static List<String> likelyTypos(Collection<String> names) {
        List<String> warnings = new ArrayList<>();
        for (String name : new TreeSet<>(names)) {
            if (KNOWN_NAMES.contains(name) || WEIGHT.matcher(name).matches()) {
                continue;
            }
            String upper = name.toUpperCase(Locale.ROOT).replaceAll("\\d+", "<n>");
            @Nullable String closest = null;
            int closestDistance = MAX_TYPO_DISTANCE + 1;
            for (String known : KNOWN_NAMES) {
                int distance = Math.abs(known.length() - upper.length()) > MAX_TYPO_DISTANCE
                        ? MAX_TYPO_DISTANCE + 1 : editDistance(upper, known);
                if (distance < closestDistance) {
                    closest = known;
                    closestDistance = distance;
                }
            }
            if (closest != null) {
                warnings.add("Environment variable " + name + " is not a reactive-db setting and is ignored;"
                        + " did you mean " + closest + "?");
            }
        }
        return warnings;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int best = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    best = Math.min(best, d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        return d[a.length()][b.length()];
    }

    /** Parses an integer setting: digits only, within {@code [min, max]}. */
    static int parseInt(String setting, String value, int min, int max) {
        String text = value.strip();
        if (text.matches("\\d{1,10}")) {
            long parsed = Long.parseLong(text);
            if (parsed >= min && parsed <= max) {
                return (int) parsed;
            }
        }
        String range = max == Integer.MAX_VALUE ? ">= " + min : "between " + min + " and " + max;
        throw new ConfigurationException(setting, "must be an integer " + range + " but was '" + Durations.quote(value) + "'");
    }

    /** One run over one map of variables. */
    private static final class Parse {
        private final Map<String, String> env;

        Parse(Map<String, String> env) {
            this.env = env;
        }

        /** A trimmed value; empty when unset or blank. */
        Optional<String> get(String name) {
            String value = env.get(name);
            return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
        }

        ReactiveDbSettings.Builder run() {
            TlsSettings tls = tls();
            ReactiveDbSettings.Builder settings = ReactiveDbSettings.builder();
            settings.pool(pool());

            Optional<ConnectionUrl> primaryUrl = primaryUrl();
            SessionSettings session = session(primaryUrl);
            settings.session(session);

            Optional<EndpointSettings> primary = primary(primaryUrl, tls);
            primary.ifPresent(settings::primary);
            replicas(primary, session, tls).forEach(settings::addReplica);

            get(DB_REPLICA_SELECTION).map(this::replicaSelection).ifPresent(settings::replicaSelection);
            positiveDuration(DB_SHUTDOWN_TIMEOUT, ChronoUnit.SECONDS).ifPresent(settings::shutdownTimeout);
            probeCredentials().ifPresent(settings::probeCredentials);
            get(DB_PRODUCTION_MODE).map(v -> parseBoolean(DB_PRODUCTION_MODE, v)).ifPresent(settings::productionMode);
            return settings;
        }

        // ---- health probe login ----

        Optional<Credentials> probeCredentials() {
            return credentials(DB_HEALTH_USER, DB_HEALTH_PASSWORD, DB_HEALTH_PASSWORD_FILE);
        }

        /** A second login (health probes, migrations): a user and its password, verbatim or from a file. */
        Optional<Credentials> credentials(String userName, String passwordName, String fileName) {
            Optional<String> user = get(userName);
            String verbatim = env.get(passwordName);
            Optional<String> password = verbatim == null || verbatim.isEmpty() ? Optional.empty() : Optional.of(verbatim);
            Optional<String> file = get(fileName);
            if (password.isPresent() && file.isPresent()) {
                throw new ConfigurationException(fileName, "must not be set together with " + passwordName + "; set only one of them");
            }
            if (user.isEmpty()) {
                if (password.isPresent() || file.isPresent()) {
                    throw new ConfigurationException(password.isPresent() ? passwordName : fileName, "is set but " + userName + " is not");
                }
                return Optional.empty();
            }
            Secret secret = file.isPresent() ? passwordFile(fileName, file.get())
                    : password.map(Secret::of).orElse(Secret.empty());
            return Optional.of(new Credentials(user.get(), secret));
        }

        // ---- TLS ----

        TlsSettings tls() {
            SslMode mode = get(DB_SSLMODE).map(v -> SslMode.parse(DB_SSLMODE, v)).orElse(SslMode.DISABLE);
            Optional<Path> rootCert = readableFile(DB_SSLROOTCERT);
            Optional<Path> cert = readableFile(DB_SSLCERT);
            Optional<Path> key = readableFile(DB_SSLKEY);
            if (cert.isPresent() && key.isEmpty()) {
                throw new ConfigurationException(DB_SSLKEY, "must be set when DB_SSLCERT is: a client certificate needs its key");
            }
            if (key.isPresent() && cert.isEmpty()) {
                throw new ConfigurationException(DB_SSLCERT, "must be set when DB_SSLKEY is: a client key needs its certificate");
            }
            return new TlsSettings(mode, rootCert, cert, key);
        }

        Optional<Path> readableFile(String name) {
            Optional<String> value = get(name);
            if (value.isEmpty()) {
                return Optional.empty();
            }
            Path path;
            try {
                path = Path.of(value.get());
            } catch (InvalidPathException e) {
                throw new ConfigurationException(name, "must be the path of a readable file but was not a valid path: '" + value.get() + "'");
            }
            if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                throw new ConfigurationException(name, "must be the path of a readable file but '" + value.get()
                        + "' does not exist, is not a regular file or cannot be read");
            }
            return Optional.of(path);
        }

        // ---- primary ----

        Optional<ConnectionUrl> primaryUrl() {
            Optional<String> url = get(DATABASE_URL);
            if (url.isEmpty()) {
                return Optional.empty();
            }
            if (get(DB_HOST).isPresent()) {
                throw new ConfigurationException(DB_HOST, "must not be set together with DATABASE_URL;"
                        + " set either DATABASE_URL or DB_HOST (with DB_PORT, DB_USER, DB_NAME)");
            }
            for (String name : List.of(DB_PORT, DB_USER, DB_NAME)) {
                if (get(name).isPresent()) {
                    throw new ConfigurationException(name, "is only used with DB_HOST, but DATABASE_URL is set;"
                            + " put it into DATABASE_URL instead");
                }
            }
            return Optional.of(ConnectionUrl.parse(DATABASE_URL, url.get()));
        }

        Optional<EndpointSettings> primary(Optional<ConnectionUrl> url, TlsSettings tls) {
            Optional<Secret> envPassword = envPassword();
            EndpointSettings.Builder b = EndpointSettings.builder().name("primary").role(EndpointRole.PRIMARY);
            if (url.isPresent()) {
                ConnectionUrl u = url.get();
                if (u.password().isPresent() && envPassword.isPresent()) {
                    String name = get(DB_PASSWORD_FILE).isPresent() ? DB_PASSWORD_FILE : DB_PASSWORD;
                    throw new ConfigurationException(name, "must not be set when DATABASE_URL contains a password;"
                            + " give the password in one place only");
                }
                u.applyTo(b, tls);
                String user = u.username().orElse(EndpointSettings.DEFAULT_USERNAME);
                b.username(user).database(u.database().orElse(user));
                envPassword.ifPresent(b::password);
                return Optional.of(b.build());
            }
            Optional<String> host = get(DB_HOST);
            if (host.isEmpty()) {
                for (String name : List.of(DB_PORT, DB_USER, DB_NAME, DB_PASSWORD, DB_PASSWORD_FILE)) {
                    if (name.equals(DB_PASSWORD) ? password().isPresent() : get(name).isPresent()) {
                        throw new ConfigurationException(name, "is set but neither DATABASE_URL nor DB_HOST is");
                    }
                }
                return Optional.empty();
            }
            String user = get(DB_USER).orElse(EndpointSettings.DEFAULT_USERNAME);
            b.host(host(host.get()))
                    .port(get(DB_PORT).map(v -> parseInt(DB_PORT, v, 1, 65535)).orElse(EndpointSettings.DEFAULT_PORT))
                    .username(user)
                    .database(get(DB_NAME).orElse(user))
                    .tls(tls);
            envPassword.ifPresent(b::password);
            return Optional.of(b.build());
        }

        String host(String value) {
            String host = value.startsWith("[") && value.endsWith("]") ? value.substring(1, value.length() - 1) : value;
            if (!HOST.matcher(host).matches()) {
                throw new ConfigurationException(DB_HOST, "must be a host name (letters, digits, '.', '-', '_')"
                        + " or an IP address but was '" + Durations.quote(value) + "'");
            }
            return host;
        }

        /** {@code DB_PASSWORD} verbatim; only an empty value counts as unset. */
        Optional<String> password() {
            String value = env.get(DB_PASSWORD);
            return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
        }

        Optional<Secret> envPassword() {
            Optional<String> password = password();
            Optional<String> file = get(DB_PASSWORD_FILE);
            if (password.isPresent() && file.isPresent()) {
                throw new ConfigurationException(DB_PASSWORD_FILE, "must not be set together with DB_PASSWORD; set only one of them");
            }
            if (file.isPresent()) {
                return Optional.of(passwordFile(DB_PASSWORD_FILE, file.get()));
            }
            return password.map(Secret::of);
        }

        // ---- replicas ----

        List<EndpointSettings> replicas(Optional<EndpointSettings> primary, SessionSettings session, TlsSettings tls) {
            Optional<String> list = get(DB_READ_REPLICA_URLS);
            List<String> entries = new ArrayList<>();
            if (list.isPresent()) {
                if (primary.isEmpty()) {
                    throw new ConfigurationException(DB_READ_REPLICA_URLS, "needs a primary: set DATABASE_URL or DB_HOST");
                }
                String[] parts = list.get().split(",", -1);
                for (int i = 0; i < parts.length; i++) {
                    if (parts[i].isBlank()) {
                        throw new ConfigurationException(DB_READ_REPLICA_URLS, "entry " + (i + 1) + " of " + parts.length
                                + " is empty; separate URLs with single commas (percent-encode a comma in a password as %2C)");
                    }
                    entries.add(parts[i].strip());
                }
            }
            Map<Integer, Integer> weights = weights(entries.size());
            List<EndpointSettings> replicas = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                int n = i + 1;
                String setting = DB_READ_REPLICA_URLS + "[" + n + "]";
                ConnectionUrl url = ConnectionUrl.parse(setting, entries.get(i));
                EndpointSettings p = primary.orElseThrow();
                sameSessionSetting(url, "application_name", url.applicationName(), session.applicationName());
                sameSessionSetting(url, "connect_timeout", url.connectTimeout(), session.connectTimeout());
                String user = url.username().orElse(p.username());
                Secret password = url.password().orElse(user.equals(p.username()) ? p.password() : Secret.empty());
                replicas.add(EndpointSettings.builder()
                        .name("replica-" + n)
                        .role(EndpointRole.REPLICA)
                        .host(url.host())
                        .port(url.port())
                        .username(user)
                        .password(password)
                        .database(url.database().orElse(p.database()))
                        .tls(url.tls(tls))
                        .weight(weights.getOrDefault(n, EndpointSettings.DEFAULT_WEIGHT))
                        .build());
            }
            return replicas;
        }

        <T> void sameSessionSetting(ConnectionUrl url, String parameter, Optional<T> value, T effective) {
            if (value.isPresent() && !value.get().equals(effective)) {
                throw new ConfigurationException(url.setting(), parameter + " is shared by every endpoint and must equal"
                        + " the primary's (" + effective + ") but was " + value.get() + "; set it in DATABASE_URL or the DB_* variable");
            }
        }

        Map<Integer, Integer> weights(int replicaCount) {
            Map<Integer, Integer> weights = new TreeMap<>();
            for (String name : new TreeMap<>(env).keySet()) {
                Matcher m = WEIGHT.matcher(name);
                Optional<String> value = get(name);
                if (!m.matches() || value.isEmpty()) {
                    continue;
                }
                String digits = m.group(1);
                if (digits.startsWith("0") || digits.length() > 4 || Integer.parseInt(digits) > replicaCount) {
                    throw new ConfigurationException(name, "sets the weight of replica " + digits + ", but DB_READ_REPLICA_URLS has "
                            + replicaCount + (replicaCount == 1 ? " entry" : " entries") + "; replicas are numbered from 1");
                }
                weights.put(Integer.parseInt(digits), parseInt(name, value.get(), 1, EndpointSettings.MAX_WEIGHT));
            }
            return weights;
        }

        // ---- pool and session ----

        PoolSettings pool() {
            PoolSettings.Builder b = PoolSettings.builder();
            int size = get(DB_POOL_SIZE).map(v -> parseInt(DB_POOL_SIZE, v, 1, Integer.MAX_VALUE))
                    .orElse(PoolSettings.DEFAULT_MAX_SIZE);
            int overflow = get(DB_MAX_OVERFLOW).map(v -> parseInt(DB_MAX_OVERFLOW, v, 0, Integer.MAX_VALUE)).orElse(0);
            if ((long) size + overflow > Integer.MAX_VALUE) {
                throw new ConfigurationException(DB_MAX_OVERFLOW, "DB_POOL_SIZE + DB_MAX_OVERFLOW must be <= "
                        + Integer.MAX_VALUE + " but was " + ((long) size + overflow));
            }
            b.maxSize(size + overflow);
            get(DB_POOL_MIN).map(v -> parseInt(DB_POOL_MIN, v, 0, Integer.MAX_VALUE)).ifPresent(b::minIdle);
            positiveDuration(DB_POOL_TIMEOUT, ChronoUnit.SECONDS).ifPresent(b::acquireTimeout);
            positiveDuration(DB_POOL_RECYCLE, ChronoUnit.SECONDS).ifPresent(b::maxLifetime);
            positiveDuration(DB_POOL_MAX_IDLE, ChronoUnit.SECONDS).ifPresent(b::maxIdleTime);
            get(DB_POOL_VALIDATION_QUERY).ifPresent(b::validationQuery);
            return b.build();
        }

        SessionSettings session(Optional<ConnectionUrl> primaryUrl) {
            SessionSettings.Builder b = SessionSettings.builder();
            Optional<String> applicationName = get(DB_APPLICATION_NAME);
            Optional<Duration> connectTimeout = positiveDuration(DB_CONNECT_TIMEOUT, ChronoUnit.SECONDS);
            if (primaryUrl.isPresent()) {
                ConnectionUrl url = primaryUrl.get();
                applicationName = agree(DB_APPLICATION_NAME, applicationName, "application_name", url.applicationName());
                connectTimeout = agree(DB_CONNECT_TIMEOUT, connectTimeout, "connect_timeout", url.connectTimeout());
            }
            applicationName.ifPresent(b::applicationName);
            connectTimeout.ifPresent(b::connectTimeout);
            serverTimeout(DB_STATEMENT_TIMEOUT).ifPresent(b::statementTimeout);
            serverTimeout(DB_LOCK_TIMEOUT).ifPresent(b::lockTimeout);
            serverTimeout(DB_IDLE_IN_TRANSACTION_TIMEOUT).ifPresent(b::idleInTransactionTimeout);
            get(DB_MAX_MESSAGE_SIZE).map(v -> parseInt(DB_MAX_MESSAGE_SIZE, v, 64 * 1024, Integer.MAX_VALUE)).ifPresent(b::maxMessageSize);
            get(DB_STATEMENT_CACHE_SIZE).map(v -> parseInt(DB_STATEMENT_CACHE_SIZE, v, 0, Integer.MAX_VALUE)).ifPresent(b::statementCacheSize);
            get(DB_POOLER).map(v -> Pooler.parse(DB_POOLER, v)).ifPresent(b::pooler);
            return b.build();
        }

        <T> Optional<T> agree(String name, Optional<T> envValue, String parameter, Optional<T> urlValue) {
            if (envValue.isPresent() && urlValue.isPresent() && !envValue.get().equals(urlValue.get())) {
                throw new ConfigurationException(name, "is " + envValue.get() + " but DATABASE_URL has " + parameter + "="
                        + urlValue.get() + "; set it in one place only");
            }
            return envValue.isPresent() ? envValue : urlValue;
        }

        /** A PostgreSQL timeout: plain numbers in milliseconds; zero leaves the server's setting. */
        Optional<Duration> serverTimeout(String name) {
            return get(name).map(v -> Durations.parse(name, v, ChronoUnit.MILLIS)).filter(d -> !d.isZero());
        }

        Optional<Duration> positiveDuration(String name, ChronoUnit plainNumberUnit) {
            Optional<Duration> value = get(name).map(v -> Durations.parse(name, v, plainNumberUnit));
            if (value.isPresent() && value.get().isZero()) {
                throw new ConfigurationException(name, "must be greater than zero but was '" + get(name).orElseThrow() + "'");
            }
            return value;
        }

        ReplicaSelection replicaSelection(String value) {
            switch (value.toLowerCase(Locale.ROOT).replace('_', '-')) {
                case "weighted-round-robin":
                    return ReplicaSelection.WEIGHTED_ROUND_ROBIN;
                case "least-in-flight":
                    return ReplicaSelection.LEAST_IN_FLIGHT;
                default:
                    throw new ConfigurationException(DB_REPLICA_SELECTION, "must be weighted-round-robin or least-in-flight but was '"
                            + Durations.quote(value) + "'");
            }
        }
    }

    // ---- password file ----

    private static Secret passwordFile(String setting, String value) {
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw new ConfigurationException(setting, "must be the path of a readable file but was not a valid path");
        }
        if (readPasswordFile(setting, path).isEmpty()) {
            throw new ConfigurationException(setting, "the file '" + path + "' is empty");
        }
        return Secret.ofSupplier(() -> readPasswordFile(setting, path));
    }

    /** {@code true}/{@code false}, {@code 1}/{@code 0}, {@code yes}/{@code no}, any case. */
    static boolean parseBoolean(String setting, String value) {
        switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true": case "1": case "yes":
                return true;
            case "false": case "0": case "no":
                return false;
            default:
                throw new ConfigurationException(setting, "must be true, false, 1, 0, yes or no but was '" + Durations.quote(value) + "'");
        }
    }

    /** {@link #readPasswordFile(String, Path)} of {@code DB_PASSWORD_FILE}. */
    static String readPasswordFile(Path path) {
        return readPasswordFile(DB_PASSWORD_FILE, path);
    }

    /** Reads the whole file as UTF-8 without its trailing line breaks. Messages show the path, never the content. */
    static String readPasswordFile(String setting, Path path) {
        String content;
        try {
            content = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            String message = "cannot read the password file '" + path + "' (" + e.getClass().getSimpleName() + ")";
            // File-system exceptions carry paths only; any other cause is dropped in case its message holds content.
            throw e instanceof FileSystemException
                    ? new ConfigurationException(setting, message, e)
                    : new ConfigurationException(setting, message);
        }
        int end = content.length();
        while (end > 0 && (content.charAt(end - 1) == '\n' || content.charAt(end - 1) == '\r')) {
            end--;
        }
        return content.substring(0, end);
    }
}
