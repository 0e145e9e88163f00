package io.reactivedb.config;

import static io.reactivedb.config.SettingsTable.DATABASE_URL;
import static io.reactivedb.config.SettingsTable.DB_HOST;
import static io.reactivedb.config.SettingsTable.DB_NAME;
import static io.reactivedb.config.SettingsTable.DB_PASSWORD;
import static io.reactivedb.config.SettingsTable.DB_PASSWORD_FILE;
import static io.reactivedb.config.SettingsTable.DB_PORT;
import static io.reactivedb.config.SettingsTable.DB_READ_REPLICA_URLS;
import static io.reactivedb.config.SettingsTable.DB_READ_REPLICA_WEIGHT;
import static io.reactivedb.config.SettingsTable.DB_USER;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The endpoints of {@link EnvironmentSettings}: the primary from its URL or host, and the replicas. */
final class EndpointsFromSettings {

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private EndpointsFromSettings() {
    }

    // ---- primary ----

    static Optional<ConnectionUrl> primaryUrl(SettingSource source) {
        Optional<String> url = DATABASE_URL.read(source);
        if (url.isEmpty()) {
            return Optional.empty();
        }
        if (DB_HOST.read(source).isPresent()) {
            throw new ConfigurationException(DB_HOST.env(), "must not be set together with DATABASE_URL;"
                    + " set either DATABASE_URL or DB_HOST (with DB_PORT, DB_USER, DB_NAME)");
        }
        for (Setting<?> setting : List.of(DB_PORT, DB_USER, DB_NAME)) {
            if (source.get(setting.env()).isPresent()) {
                throw new ConfigurationException(setting.env(), "is only used with DB_HOST, but DATABASE_URL is set;"
                        + " put it into DATABASE_URL instead");
            }
        }
        return Optional.of(ConnectionUrl.parse(DATABASE_URL.env(), url.get()));
    }

    static Optional<EndpointSettings> primary(SettingSource source, Optional<ConnectionUrl> url, TlsSettings tls) {
        Optional<Secret> envPassword = envPassword(source);
        EndpointSettings.Builder b = EndpointSettings.builder().name("primary").role(EndpointRole.PRIMARY);
        if (url.isPresent()) {
            ConnectionUrl u = url.get();
            if (u.password().isPresent() && envPassword.isPresent()) {
                String name = DB_PASSWORD_FILE.read(source).isPresent() ? DB_PASSWORD_FILE.env() : DB_PASSWORD.env();
                throw new ConfigurationException(name, "must not be set when DATABASE_URL contains a password;"
                        + " give the password in one place only");
            }
            u.applyTo(b, tls);
            String user = u.username().orElse(EndpointSettings.DEFAULT_USERNAME);
            b.username(user).database(u.database().orElse(user));
            envPassword.ifPresent(b::password);
            return Optional.of(b.build());
        }
        Optional<String> host = DB_HOST.read(source);
        if (host.isEmpty()) {
            requireNoHostPart(source);
            return Optional.empty();
        }
        String user = DB_USER.read(source).orElse(EndpointSettings.DEFAULT_USERNAME);
        b.host(host(host.get()))
                .port(DB_PORT.read(source).orElse(EndpointSettings.DEFAULT_PORT))
                .username(user)
                .database(DB_NAME.read(source).orElse(user))
                .tls(tls);
        envPassword.ifPresent(b::password);
        return Optional.of(b.build());
    }

    /** Without a URL or host, none of the parts that go with a host may be set. */
    private static void requireNoHostPart(SettingSource source) {
        if (source.get(DB_PORT.env()).isPresent()) {
            throw new ConfigurationException(DB_PORT.env(), "is set but neither DATABASE_URL nor DB_HOST is");
        }
        for (Setting<String> setting : List.of(DB_USER, DB_NAME, DB_PASSWORD, DB_PASSWORD_FILE)) {
            boolean set = setting == DB_PASSWORD ? EnvironmentSettings.verbatim(source, setting).isPresent()
                    : source.get(setting.env()).isPresent();
            if (set) {
                throw new ConfigurationException(setting.env(), "is set but neither DATABASE_URL nor DB_HOST is");
            }
        }
    }

    private static String host(String value) {
        String host = value.startsWith("[") && value.endsWith("]") ? value.substring(1, value.length() - 1) : value;
        if (!HOST.matcher(host).matches()) {
            throw new ConfigurationException(DB_HOST.env(), "must be a host name (letters, digits, '.', '-', '_')"
                    + " or an IP address but was '" + Durations.quote(value) + "'");
        }
        return host;
    }

    private static Optional<Secret> envPassword(SettingSource source) {
        Optional<String> password = EnvironmentSettings.verbatim(source, DB_PASSWORD);
        Optional<String> file = DB_PASSWORD_FILE.read(source);
        if (password.isPresent() && file.isPresent()) {
            throw new ConfigurationException(DB_PASSWORD_FILE.env(), "must not be set together with DB_PASSWORD; set only one of them");
        }
        if (file.isPresent()) {
            return Optional.of(PasswordFiles.secret(DB_PASSWORD_FILE.env(), file.get()));
        }
        return password.map(Secret::of);
    }

    // ---- replicas ----

    static List<EndpointSettings> replicas(SettingSource source, Optional<EndpointSettings> primary, SessionSettings session,
            TlsSettings tls) {
        List<String> entries = replicaUrls(source, primary);
        Map<Integer, Integer> weights = weights(source, entries.size());
        List<EndpointSettings> replicas = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            int n = i + 1;
            ConnectionUrl url = ConnectionUrl.parse(DB_READ_REPLICA_URLS.env() + "[" + n + "]", entries.get(i));
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

    private static List<String> replicaUrls(SettingSource source, Optional<EndpointSettings> primary) {
        Optional<String> list = DB_READ_REPLICA_URLS.read(source);
        List<String> entries = new ArrayList<>();
        if (list.isEmpty()) {
            return entries;
        }
        if (primary.isEmpty()) {
            throw new ConfigurationException(DB_READ_REPLICA_URLS.env(), "needs a primary: set DATABASE_URL or DB_HOST");
        }
        String[] parts = list.get().split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isBlank()) {
                throw new ConfigurationException(DB_READ_REPLICA_URLS.env(), "entry " + (i + 1) + " of " + parts.length
                        + " is empty; separate URLs with single commas (percent-encode a comma in a password as %2C)");
            }
            entries.add(parts[i].strip());
        }
        return entries;
    }

    private static <T> void sameSessionSetting(ConnectionUrl url, String parameter, Optional<T> value, T effective) {
        if (value.isPresent() && !value.get().equals(effective)) {
            throw new ConfigurationException(url.setting(), parameter + " is shared by every endpoint and must equal"
                    + " the primary's (" + effective + ") but was " + value.get() + "; set it in DATABASE_URL or the DB_* variable");
        }
    }

    private static Map<Integer, Integer> weights(SettingSource source, int replicaCount) {
        Map<Integer, Integer> weights = new TreeMap<>();
        for (String name : new TreeSet<>(source.names())) {
            Matcher m = SettingsTypos.WEIGHT.matcher(name);
            Optional<String> value = source.get(name);
            if (!m.matches() || value.isEmpty()) {
                continue;
            }
            String digits = m.group(1);
            if (digits.startsWith("0") || digits.length() > 4 || Integer.parseInt(digits) > replicaCount) {
                throw new ConfigurationException(name, "sets the weight of replica " + digits + ", but DB_READ_REPLICA_URLS has "
                        + replicaCount + (replicaCount == 1 ? " entry" : " entries") + "; replicas are numbered from 1");
            }
            weights.put(Integer.parseInt(digits), DB_READ_REPLICA_WEIGHT.parser().parse(name, value.get()));
        }
        return weights;
    }
}
