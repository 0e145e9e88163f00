package io.reactivedb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConnectionUrlTest {

    static final String PASSWORD = "S3cr3t-P@ss";
    static final String ENCODED = "S3cr3t-P%40ss";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {
            "postgresql://app:" + ENCODED + "@db.example.com:5433/orders",
            "postgres://app:" + ENCODED + "@db.example.com:5433/orders",
            "r2dbc:postgresql://app:" + ENCODED + "@db.example.com:5433/orders",
            "r2dbc:postgres://app:" + ENCODED + "@db.example.com:5433/orders",
            "r2dbc:pool:postgresql://app:" + ENCODED + "@db.example.com:5433/orders",
            "r2dbc:pool:postgres://app:" + ENCODED + "@db.example.com:5433/orders",
            "POSTGRESQL://app:" + ENCODED + "@db.example.com:5433/orders",
            "  postgresql://app:" + ENCODED + "@db.example.com:5433/orders \n",
    })
    void everyScheme(String text) {
        ConnectionUrl url = ConnectionUrl.parse("DATABASE_URL", text);
        assertThat(url.host()).isEqualTo("db.example.com");
        assertThat(url.port()).isEqualTo(5433);
        assertThat(url.database()).contains("orders");
        assertThat(url.username()).contains("app");
        assertThat(url.password()).map(Secret::reveal).contains(PASSWORD);
        assertThat(url.toString()).doesNotContain(PASSWORD).doesNotContain(ENCODED).contains("app:******@");
    }

    @Test
    void defaultsWhenOnlyTheHostIsGiven() {
        ConnectionUrl url = ConnectionUrl.parse("DATABASE_URL", "postgresql://db");
        assertThat(url.host()).isEqualTo("db");
        assertThat(url.port()).isEqualTo(5432);
        assertThat(url.database()).isEmpty();
        assertThat(url.username()).isEmpty();
        assertThat(url.password()).isEmpty();
        assertThat(url.hasTlsParameters()).isFalse();
        assertThat(url.applicationName()).isEmpty();
        assertThat(url.connectTimeout()).isEmpty();
        assertThat(url).hasToString("postgresql://db");
        assertThat(ConnectionUrl.parse("DATABASE_URL", "postgresql://db/").database()).isEmpty();
        assertThat(ConnectionUrl.parse("DATABASE_URL", "postgresql://db/?").database()).isEmpty();
    }

    @Test
    void userWithoutPassword() {
        ConnectionUrl url = ConnectionUrl.parse("DATABASE_URL", "postgresql://app@db/orders");
        assertThat(url.username()).contains("app");
        assertThat(url.password()).isEmpty();
        assertThat(ConnectionUrl.parse("DATABASE_URL", "postgresql://app:@db/orders").password()).isEmpty();
        assertThat(url).hasToString("postgresql://app@db/orders");
    }

    @Test
    void percentEncodedSpecialCharactersInThePassword() {
        ConnectionUrl url = ConnectionUrl.parse("DATABASE_URL", "postgresql://app:a%40b%3Ac%2Fd%25e%3Ff%23g%20h@db/orders");
        assertThat(url.password()).map(Secret::reveal).contains("a@b:c/d%e?f#g h");
        assertThat(url.host()).isEqualTo("db");
    }

    @Test
    void percentEncodedUserAndDatabaseAndUtf8() {
        ConnectionUrl url = ConnectionUrl.parse("DATABASE_URL", "postgresql://me%40corp:p%C3%A4ss@db/my%20db");
        assertThat(url.username()).contains("me@corp");
        assertThat(url.password()).map(Secret::reveal).contains("päss");
        assertThat(url.database()).contains("my db");
        assertThat(url).hasToString("postgresql://me%40corp:******@db/my%20db");
    }

    @Test
    void plusIsNotASpace() {
        assertThat(ConnectionUrl.parse("DATABASE_URL", "postgresql://app:a+b@db").password()).map(Secret::reveal).contains("a+b");
    }

    @Test
    void unencodedAtAndColonInThePassword() {
        ConnectionUrl url = ConnectionUrl.parse("DATABASE_URL", "postgresql://app:" + PASSWORD + "@db.example.com:5433/orders");
        assertThat(url.username()).contains("app");
        assertThat(url.password()).map(Secret::reveal).contains(PASSWORD);
        assertThat(url.host()).isEqualTo("db.example.com");
        assertThat(url.port()).isEqualTo(5433);

        ConnectionUrl many = ConnectionUrl.parse("DATABASE_URL", "postgresql://app:a@b:c@@db");
        assertThat(many.password()).map(Secret::reveal).contains("a@b:c@");
        assertThat(many.host()).isEqualTo("db");
    }

    @Test
    void ipv6Hosts() {
        ConnectionUrl url = ConnectionUrl.parse("DATABASE_URL", "postgresql://app:" + ENCODED + "@[::1]:6432/orders");
        assertThat(url.host()).isEqualTo("::1");
        assertThat(url.port()).isEqualTo(6432);
        assertThat(url).hasToString("postgresql://app:******@[::1]:6432/orders");

        ConnectionUrl noPort = ConnectionUrl.parse("DATABASE_URL", "postgres://[2001:db8::8a2e:370:7334]/orders");
        assertThat(noPort.host()).isEqualTo("2001:db8::8a2e:370:7334");
        assertThat(noPort.port()).isEqualTo(5432);
        assertThat(ConnectionUrl.parse("DATABASE_URL", "postgres://[::ffff:10.0.0.1]").host()).isEqualTo("::ffff:10.0.0.1");
    }

    @Test
    void ipv4AndUnderscoreHosts() {
        assertThat(ConnectionUrl.parse("DATABASE_URL", "postgresql://10.1.2.3:5432/x").host()).isEqualTo("10.1.2.3");
        assertThat(ConnectionUrl.parse("DATABASE_URL", "postgresql://pg_primary/x").host()).isEqualTo("pg_primary");
    }

    @Test
    void queryParameters() throws IOException {
        Path root = Files.writeString(dir.resolve("root.crt"), "root");
        Path cert = Files.writeString(dir.resolve("client.crt"), "cert");
        Path key = Files.writeString(dir.resolve("client.key"), "key");
        ConnectionUrl url = ConnectionUrl.parse("DATABASE_URL", "postgresql://app:" + ENCODED + "@db/orders"
                + "?sslmode=verify-full&sslrootcert=" + root + "&sslcert=" + cert + "&sslkey=" + key
                + "&application_name=orders%20api&connect_timeout=7");
        assertThat(url.sslMode()).contains(SslMode.VERIFY_FULL);
        assertThat(url.sslRootCert()).contains(root);
        assertThat(url.sslCert()).contains(cert);
        assertThat(url.sslKey()).contains(key);
        assertThat(url.applicationName()).contains("orders api");
        assertThat(url.connectTimeout()).contains(Duration.ofSeconds(7));
        assertThat(url.tls(TlsSettings.disabled())).isEqualTo(new TlsSettings(SslMode.VERIFY_FULL, Optional.of(root), Optional.of(cert), Optional.of(key)));
        assertThat(url.toString()).contains("sslmode=verify-full", "application_name=orders%20api", "connect_timeout=7")
                .doesNotContain(ENCODED);
    }

    @Test
    void r2dbcParameterSpellingsAndDurationTimeouts() {
        ConnectionUrl url = ConnectionUrl.parse("DATABASE_URL", "r2dbc:postgresql://db/orders?sslMode=REQUIRE&applicationName=x&connectTimeout=PT3S&&");
        assertThat(url.sslMode()).contains(SslMode.REQUIRE);
        assertThat(url.applicationName()).contains("x");
        assertThat(url.connectTimeout()).contains(Duration.ofSeconds(3));
    }

    @Test
    void urlTlsOverridesDefaultsFieldByFieldAndTheClientPairAsAWhole() throws IOException {
        Path root = Files.writeString(dir.resolve("root.crt"), "root");
        Path otherRoot = Files.writeString(dir.resolve("other.crt"), "other");
        Path cert = Files.writeString(dir.resolve("client.crt"), "cert");
        Path key = Files.writeString(dir.resolve("client.key"), "key");
        TlsSettings defaults = new TlsSettings(SslMode.VERIFY_FULL, Optional.of(root), Optional.of(cert), Optional.of(key));

        assertThat(ConnectionUrl.parse("U", "postgresql://db").tls(defaults)).isEqualTo(defaults);
        assertThat(ConnectionUrl.parse("U", "postgresql://db?sslmode=verify-ca").tls(defaults))
                .isEqualTo(new TlsSettings(SslMode.VERIFY_CA, Optional.of(root), Optional.of(cert), Optional.of(key)));
        assertThat(ConnectionUrl.parse("U", "postgresql://db?sslrootcert=" + otherRoot).tls(defaults))
                .isEqualTo(new TlsSettings(SslMode.VERIFY_FULL, Optional.of(otherRoot), Optional.of(cert), Optional.of(key)));
        assertThat(ConnectionUrl.parse("U", "postgresql://db?sslmode=require").tls(TlsSettings.disabled()))
                .isEqualTo(TlsSettings.of(SslMode.REQUIRE));
    }

    @Test
    void tlsErrorsNameTheUrlsSetting() throws IOException {
        Path cert = Files.writeString(dir.resolve("client.crt"), "cert");
        assertThatThrownBy(() -> ConnectionUrl.parse("DB_READ_REPLICA_URLS[1]", "postgresql://app:" + ENCODED + "@db?sslcert=" + cert)
                .tls(TlsSettings.disabled()))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_READ_REPLICA_URLS[1]"))
                .hasMessageContaining("sslcert and sslkey must be given together")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD).doesNotContain(ENCODED));
        assertThatThrownBy(() -> ConnectionUrl.parse("DATABASE_URL", "postgresql://db?sslmode=verify-full").tls(TlsSettings.disabled()))
                .hasMessageContaining("needs a root certificate");
    }

    @Test
    void applyToSetsTheEndpoint() {
        EndpointSettings endpoint = ConnectionUrl.parse("DATABASE_URL", "postgresql://app:" + ENCODED + "@[::1]:6000/orders?sslmode=require")
                .applyTo(EndpointSettings.builder()).build();
        assertThat(endpoint.host()).isEqualTo("::1");
        assertThat(endpoint.port()).isEqualTo(6000);
        assertThat(endpoint.database()).isEqualTo("orders");
        assertThat(endpoint.username()).isEqualTo("app");
        assertThat(endpoint.password().reveal()).isEqualTo(PASSWORD);
        assertThat(endpoint.tls().mode()).isEqualTo(SslMode.REQUIRE);
        assertThat(endpoint.toString()).doesNotContain(PASSWORD);

        EndpointSettings kept = ConnectionUrl.parse("DATABASE_URL", "postgresql://db")
                .applyTo(EndpointSettings.builder().database("keep").username("me").tls(TlsSettings.of(SslMode.PREFER))).build();
        assertThat(kept.database()).isEqualTo("keep");
        assertThat(kept.username()).isEqualTo("me");
        assertThat(kept.tls().mode()).isEqualTo(SslMode.PREFER);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "mysql://app:" + ENCODED + "@db/orders",
            "jdbc:postgresql://app:" + ENCODED + "@db/orders",
            "postgresql:/app:" + ENCODED + "@db/orders",
            "app:" + ENCODED + "@db/orders",
            PASSWORD,
            "postgresql://app:" + ENCODED + "@/orders",
            "postgresql://app:" + ENCODED + "@db:0/orders",
            "postgresql://app:" + ENCODED + "@db:65536/orders",
            "postgresql://app:" + ENCODED + "@db:54x/orders",
            "postgresql://app:" + ENCODED + "@db:/orders",
            "postgresql://app:" + ENCODED + "@db1,db2/orders",
            "postgresql://app:" + ENCODED + "@db host/orders",
            "postgresql://app:" + ENCODED + "@[::1/orders",
            "postgresql://app:" + ENCODED + "@[db]/orders",
            "postgresql://app:" + ENCODED + "@[::1]x/orders",
            "postgresql://app:" + ENCODED + "@::1/orders",
            "postgresql://app:" + ENCODED + "@db/orders/extra",
            "postgresql://app:" + ENCODED + "@db/orders#frag",
            "postgresql://app:" + ENCODED + "@db/%20",
            "postgresql://app:" + ENCODED + "@db/orders?sslmode=sometimes",
            "postgresql://app:" + ENCODED + "@db/orders?sslmode",
            "postgresql://app:" + ENCODED + "@db/orders?sslmode=require&sslmode=disable",
            "postgresql://app:" + ENCODED + "@db/orders?options=-c%20search_path%3Dx",
            "postgresql://app:" + ENCODED + "@db/orders?password=" + ENCODED,
            "postgresql://app:" + ENCODED + "@db/orders?" + PASSWORD + "=1",
            "postgresql://app:" + ENCODED + "@db/orders?connect_timeout=0",
            "postgresql://app:" + ENCODED + "@db/orders?connect_timeout=-1",
            "postgresql://app:" + ENCODED + "@db/orders?connect_timeout=abc",
            "postgresql://app:" + ENCODED + "@db/orders?sslrootcert=/does/not/exist.crt",
            "postgresql://app:" + ENCODED + "@db/orders?application_name=%01",
            "postgresql://app:S3cr3t-P%4@db/orders",
            "postgresql://app:S3cr3t-P%zzss@db/orders",
            "postgresql://app:S3cr3t-P%FFss@db/orders",
            "postgresql://app:S3cr3t-P/ss@db/orders",
            "postgresql://app:S3cr3t-P?ss@db/orders",
            "postgresql://app:S3cr3t-P#ss@db/orders",
            "postgresql://%20:" + ENCODED + "@db/orders",
            "postgresql://app:S3cr3t-P",
            "",
            "   ",
    })
    void malformedUrlsFailNamingTheSettingWithoutThePassword(String text) {
        assertThatThrownBy(() -> ConnectionUrl.parse("DB_READ_REPLICA_URLS[2]", text))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.setting()).isEqualTo("DB_READ_REPLICA_URLS[2]");
                    assertThat(e.getMessage()).startsWith("DB_READ_REPLICA_URLS[2]: ")
                            .contains("postgresql://[user[:password]@]host")
                            .doesNotContain(PASSWORD)
                            .doesNotContain(ENCODED)
                            .doesNotContain("S3cr3t");
                });
    }

    /** Passwords mixing an unencoded '@' with ':', '/' or '?', which no split of the URL can read back. */
    @ParameterizedTest
    @ValueSource(strings = {
            "postgresql://app:Pw@x:y/z@db.example.com:5433/orders",   // read as host "x", port "y"
            "postgresql://app:Pw:x@y/z@db.example.com/orders",        // read as host "y", database "z@db.example.com/orders"
            "postgresql://app:Pw/x@db.example.com:5433/orders",       // read as host "app", port "Pw"
            "postgresql://app:Pw@x?y@db.example.com/orders",          // read as host "x", parameter "y@db.example.com/orders"
    })
    void anUnencodedDelimiterInThePasswordIsNamedAsSuchWithoutShowingIt(String text) {
        assertThatThrownBy(() -> ConnectionUrl.parse("DATABASE_URL", text))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.getMessage())
                        .contains("the user information", "must be percent-encoded", "%40", "%3A", "%2F")
                        .doesNotContain("port must be")
                        .doesNotContain("Pw")
                        .contains("app:******@db.example.com"));
    }

    @Test
    void anAtSignAfterTheHostIsNotBlamedOnThePasswordWhenTheUrlHasNoneInItsParameterNames() {
        assertThatThrownBy(() -> ConnectionUrl.parse("DATABASE_URL", "postgresql://db/orders?application_name=me@host&sslmode=sometimes"))
                .hasMessageContaining("sslmode")
                .hasMessageNotContaining("user information");
    }

    @Test
    void malformedUrlIsQuotedWithThePasswordMasked() {
        assertThatThrownBy(() -> ConnectionUrl.parse("DATABASE_URL", "postgresql://app:" + ENCODED + "@db:99999/orders"))
                .hasMessageContaining("'postgresql://app:******@db:99999/orders'")
                .hasMessageContaining("port");
        assertThatThrownBy(() -> ConnectionUrl.parse("DATABASE_URL", "postgresql://app:" + ENCODED + "@db/orders?foo=1"))
                .hasMessageContaining("unknown parameter 'foo'")
                .hasMessageContaining("sslmode, sslrootcert, sslcert, sslkey, application_name, connect_timeout");
    }

    @Test
    void redact() {
        assertThat(ConnectionUrl.redact("postgresql://app:" + ENCODED + "@db/x")).isEqualTo("postgresql://app:******@db/x");
        assertThat(ConnectionUrl.redact("postgresql://app:" + PASSWORD + "@db/x")).isEqualTo("postgresql://app:******@db/x");
        assertThat(ConnectionUrl.redact("postgresql://app@db/x")).isEqualTo("postgresql://app@db/x");
        assertThat(ConnectionUrl.redact("postgresql://db:5432/x")).isEqualTo("postgresql://db:5432/x");
        assertThat(ConnectionUrl.redact("postgresql://[::1]:5432/x")).isEqualTo("postgresql://[::1]:5432/x");
        assertThat(ConnectionUrl.redact("postgresql://app:S3cr3t")).isEqualTo("postgresql://app:******");
        assertThat(ConnectionUrl.redact("postgresql://db/x?password=" + ENCODED + "&sslmode=require"))
                .isEqualTo("postgresql://db/x?password=******&sslmode=require");
        assertThat(ConnectionUrl.redact("u:" + PASSWORD + "@h")).isEqualTo("u:******@h");
    }
}
