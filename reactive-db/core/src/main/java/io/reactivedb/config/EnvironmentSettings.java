package io.reactivedb.config;

import static io.reactivedb.config.SettingsTable.DB_APPLICATION_NAME;
import static io.reactivedb.config.SettingsTable.DB_CONNECT_TIMEOUT;
import static io.reactivedb.config.SettingsTable.DB_HEALTH_PASSWORD;
import static io.reactivedb.config.SettingsTable.DB_HEALTH_PASSWORD_FILE;
import static io.reactivedb.config.SettingsTable.DB_HEALTH_USER;
import static io.reactivedb.config.SettingsTable.DB_IDLE_IN_TRANSACTION_TIMEOUT;
import static io.reactivedb.config.SettingsTable.DB_LOCK_TIMEOUT;
import static io.reactivedb.config.SettingsTable.DB_MAX_MESSAGE_SIZE;
import static io.reactivedb.config.SettingsTable.DB_MAX_OVERFLOW;
import static io.reactivedb.config.SettingsTable.DB_MIGRATION_PASSWORD;
import static io.reactivedb.config.SettingsTable.DB_MIGRATION_PASSWORD_FILE;
import static io.reactivedb.config.SettingsTable.DB_MIGRATION_USER;
import static io.reactivedb.config.SettingsTable.DB_POOLER;
import static io.reactivedb.config.SettingsTable.DB_POOL_MAX_IDLE;
import static io.reactivedb.config.SettingsTable.DB_POOL_MIN;
import static io.reactivedb.config.SettingsTable.DB_POOL_RECYCLE;
import static io.reactivedb.config.SettingsTable.DB_POOL_SIZE;
import static io.reactivedb.config.SettingsTable.DB_POOL_TIMEOUT;
import static io.reactivedb.config.SettingsTable.DB_POOL_VALIDATION_QUERY;
import static io.reactivedb.config.SettingsTable.DB_PRODUCTION_MODE;
import static io.reactivedb.config.SettingsTable.DB_REPLICA_SELECTION;
import static io.reactivedb.config.SettingsTable.DB_SHUTDOWN_TIMEOUT;
import static io.reactivedb.config.SettingsTable.DB_SSLCERT;
import static io.reactivedb.config.SettingsTable.DB_SSLKEY;
import static io.reactivedb.config.SettingsTable.DB_SSLMODE;
import static io.reactivedb.config.SettingsTable.DB_SSLROOTCERT;
import static io.reactivedb.config.SettingsTable.DB_STATEMENT_CACHE_SIZE;
import static io.reactivedb.config.SettingsTable.DB_STATEMENT_TIMEOUT;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds {@link ReactiveDbSettings} from the settings of {@link SettingsTable}, read from the
 * environment or any other {@link SettingSource}. The README lists every variable, its form and
 * default.
 *
 * <p>Values are trimmed, and an empty value counts as unset ({@code DB_PASSWORD} is taken verbatim,
 * only an empty one counts as unset). Durations take every form of {@link Durations}; a plain
 * number is in the unit of the setting.
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

    private static final Logger LOG = LoggerFactory.getLogger(EnvironmentSettings.class);

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
        return parse(SettingSource.of(env));
    }

    /** As {@link #parse(Map)}, from any source; errors name the setting as the source labels it. */
    public static ReactiveDbSettings parse(SettingSource source) {
        return source.parse(() -> parseToBuilder(source).build());
    }

    /** As {@link #migrationSettings(SettingSource, ReactiveDbSettings)} of {@code env}. */
    public static ReactiveDbSettings migrationSettings(Map<String, String> env, ReactiveDbSettings settings) {
        return migrationSettings(SettingSource.of(env), settings);
    }

    /**
     * The settings schema migrations run with: {@code settings}' primary only, logging in as
     * {@code DB_MIGRATION_USER} with {@code DB_MIGRATION_PASSWORD} or {@code DB_MIGRATION_PASSWORD_FILE}
     * when that is set (a role that may run DDL, which the application's role should not), else
     * with the primary's own login.
     *
     * @throws ConfigurationException naming the invalid variable
     */
    public static ReactiveDbSettings migrationSettings(SettingSource source, ReactiveDbSettings settings) {
        Objects.requireNonNull(settings, "settings");
        Optional<Credentials> login = source.parse(() -> credentials(source, DB_MIGRATION_USER, DB_MIGRATION_PASSWORD,
                DB_MIGRATION_PASSWORD_FILE));
        EndpointSettings primary = login.map(credentials -> settings.primary().toBuilder()
                .username(credentials.username()).password(credentials.password()).build()).orElse(settings.primary());
        return settings.toBuilder().primary(primary).replicas(List.of()).build();
    }

    /** As {@link #parseToBuilder(SettingSource)} of {@code env}. */
    public static ReactiveDbSettings.Builder parseToBuilder(Map<String, String> env) {
        return parseToBuilder(SettingSource.of(env));
    }

    /**
     * Parses the settings into a builder, so that a caller can override some before
     * {@code build()}. Without {@code DATABASE_URL} and {@code DB_HOST} the builder has no primary;
     * the caller must set one.
     *
     * @throws ConfigurationException naming the first invalid setting
     */
    public static ReactiveDbSettings.Builder parseToBuilder(SettingSource source) {
        Objects.requireNonNull(source, "source");
        for (String warning : likelyTypos(source.names())) {
            LOG.warn("{}", warning);
        }
        return source.parse(() -> run(source));
    }

    /** Warnings for names that are not settings but look like misspelt ones; names only, never values. */
    static List<String> likelyTypos(Collection<String> names) {
        return SettingsTypos.likelyTypos(names);
    }

    static int editDistance(String a, String b) {
        return SettingsTypos.editDistance(a, b);
    }

    private static ReactiveDbSettings.Builder run(SettingSource source) {
        TlsSettings tls = tls(source);
        ReactiveDbSettings.Builder settings = ReactiveDbSettings.builder();
        settings.pool(pool(source));

        Optional<ConnectionUrl> primaryUrl = EndpointsFromSettings.primaryUrl(source);
        SessionSettings session = session(source, primaryUrl);
        settings.session(session);

        Optional<EndpointSettings> primary = EndpointsFromSettings.primary(source, primaryUrl, tls);
        primary.ifPresent(settings::primary);
        EndpointsFromSettings.replicas(source, primary, session, tls).forEach(settings::addReplica);

        DB_REPLICA_SELECTION.read(source).ifPresent(settings::replicaSelection);
        DB_SHUTDOWN_TIMEOUT.read(source).ifPresent(settings::shutdownTimeout);
        credentials(source, DB_HEALTH_USER, DB_HEALTH_PASSWORD, DB_HEALTH_PASSWORD_FILE).ifPresent(settings::probeCredentials);
        DB_PRODUCTION_MODE.read(source).ifPresent(settings::productionMode);
        return settings;
    }

    /** A second login (health probes, migrations): a user and its password, verbatim or from a file. */
    private static Optional<Credentials> credentials(SettingSource source, Setting<String> user, Setting<String> password,
            Setting<String> file) {
        Optional<String> name = user.read(source);
        Optional<String> verbatim = verbatim(source, password);
        Optional<String> path = file.read(source);
        if (verbatim.isPresent() && path.isPresent()) {
            throw new ConfigurationException(file.env(), "must not be set together with " + password.env() + "; set only one of them");
        }
        if (name.isEmpty()) {
            if (verbatim.isPresent() || path.isPresent()) {
                throw new ConfigurationException(verbatim.isPresent() ? password.env() : file.env(), "is set but " + user.env() + " is not");
            }
            return Optional.empty();
        }
        Secret secret = path.isPresent() ? PasswordFiles.secret(file.env(), path.get())
                : verbatim.map(Secret::of).orElse(Secret.empty());
        return Optional.of(new Credentials(name.get(), secret));
    }

    /** A password as given, untrimmed; only an empty value counts as unset. */
    static Optional<String> verbatim(SettingSource source, Setting<String> password) {
        return source.raw(password.env()).filter(value -> !value.isEmpty());
    }

    private static TlsSettings tls(SettingSource source) {
        SslMode mode = DB_SSLMODE.read(source).orElse(SslMode.DISABLE);
        Optional<Path> rootCert = DB_SSLROOTCERT.read(source);
        Optional<Path> cert = DB_SSLCERT.read(source);
        Optional<Path> key = DB_SSLKEY.read(source);
        if (cert.isPresent() && key.isEmpty()) {
            throw new ConfigurationException(DB_SSLKEY.env(), "must be set when DB_SSLCERT is: a client certificate needs its key");
        }
        if (key.isPresent() && cert.isEmpty()) {
            throw new ConfigurationException(DB_SSLCERT.env(), "must be set when DB_SSLKEY is: a client key needs its certificate");
        }
        return new TlsSettings(mode, rootCert, cert, key);
    }

    private static PoolSettings pool(SettingSource source) {
        PoolSettings.Builder b = PoolSettings.builder();
        int size = DB_POOL_SIZE.read(source).orElse(PoolSettings.DEFAULT_MAX_SIZE);
        int overflow = DB_MAX_OVERFLOW.read(source).orElse(0);
        if ((long) size + overflow > Integer.MAX_VALUE) {
            throw new ConfigurationException(DB_MAX_OVERFLOW.env(), "DB_POOL_SIZE + DB_MAX_OVERFLOW must be <= "
                    + Integer.MAX_VALUE + " but was " + ((long) size + overflow));
        }
        b.maxSize(size + overflow);
        DB_POOL_MIN.read(source).ifPresent(b::minIdle);
        DB_POOL_TIMEOUT.read(source).ifPresent(b::acquireTimeout);
        DB_POOL_RECYCLE.read(source).ifPresent(b::maxLifetime);
        DB_POOL_MAX_IDLE.read(source).ifPresent(b::maxIdleTime);
        DB_POOL_VALIDATION_QUERY.read(source).ifPresent(b::validationQuery);
        return b.build();
    }

    private static SessionSettings session(SettingSource source, Optional<ConnectionUrl> primaryUrl) {
        SessionSettings.Builder b = SessionSettings.builder();
        Optional<String> applicationName = DB_APPLICATION_NAME.read(source);
        Optional<Duration> connectTimeout = DB_CONNECT_TIMEOUT.read(source);
        if (primaryUrl.isPresent()) {
            ConnectionUrl url = primaryUrl.get();
            applicationName = agree(DB_APPLICATION_NAME, applicationName, "application_name", url.applicationName());
            connectTimeout = agree(DB_CONNECT_TIMEOUT, connectTimeout, "connect_timeout", url.connectTimeout());
        }
        applicationName.ifPresent(b::applicationName);
        connectTimeout.ifPresent(b::connectTimeout);
        serverTimeout(source, DB_STATEMENT_TIMEOUT).ifPresent(b::statementTimeout);
        serverTimeout(source, DB_LOCK_TIMEOUT).ifPresent(b::lockTimeout);
        serverTimeout(source, DB_IDLE_IN_TRANSACTION_TIMEOUT).ifPresent(b::idleInTransactionTimeout);
        DB_MAX_MESSAGE_SIZE.read(source).ifPresent(b::maxMessageSize);
        DB_STATEMENT_CACHE_SIZE.read(source).ifPresent(b::statementCacheSize);
        DB_POOLER.read(source).ifPresent(b::pooler);
        return b.build();
    }

    private static <T> Optional<T> agree(Setting<T> setting, Optional<T> envValue, String parameter, Optional<T> urlValue) {
        if (envValue.isPresent() && urlValue.isPresent() && !envValue.get().equals(urlValue.get())) {
            throw new ConfigurationException(setting.env(), "is " + envValue.get() + " but DATABASE_URL has " + parameter + "="
                    + urlValue.get() + "; set it in one place only");
        }
        return envValue.isPresent() ? envValue : urlValue;
    }

    /** A PostgreSQL timeout: zero leaves the server's setting. */
    private static Optional<Duration> serverTimeout(SettingSource source, Setting<Duration> setting) {
        return setting.read(source).filter(d -> !d.isZero());
    }
}
