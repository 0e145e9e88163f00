package io.reactivedb.migrations;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SslMode;
import io.reactivedb.config.TlsSettings;

class JdbcTargetTest {

    private static ReactiveDbSettings settings(EndpointSettings primary) {
        return ReactiveDbSettings.builder().primary(primary)
                .addReplica(EndpointSettings.builder().name("replica-1").role(EndpointRole.REPLICA).host("replica.example").build()).build();
    }

    @Test
    void primaryOnlyWithoutPasswordInTheUrl() {
        JdbcTarget target = JdbcTarget.primaryOf(settings(EndpointSettings.builder().host("db.example").port(6432)
                .database("app db").username("app").password("s3cret-pw").build()));
        assertThat(target.url()).isEqualTo("jdbc:postgresql://db.example:6432/app%20db?sslmode=disable&ApplicationName=reactive-db-migrations");
        assertThat(target.url()).doesNotContain("s3cret-pw").doesNotContain("replica");
        assertThat(target.toString()).doesNotContain("s3cret-pw");
        assertThat(target.properties().getProperty("user")).isEqualTo("app");
        assertThat(target.properties().getProperty("password")).isEqualTo("s3cret-pw");
        assertThat(target.properties().getProperty("connectTimeout")).isEqualTo("10");
    }

    @Test
    void tlsFilesAndIpv6() {
        TlsSettings tls = new TlsSettings(SslMode.VERIFY_FULL, Optional.of(Path.of("/etc/ca.pem")), Optional.of(Path.of("/etc/c.pem")),
                Optional.of(Path.of("/etc/k.pk8")));
        JdbcTarget target = JdbcTarget.primaryOf(settings(EndpointSettings.builder().host("::1").tls(tls).build()));
        assertThat(target.url()).startsWith("jdbc:postgresql://[::1]:5432/postgres?sslmode=verify-full")
                .contains("&sslrootcert=%2Fetc%2Fca.pem&sslcert=%2Fetc%2Fc.pem&sslkey=%2Fetc%2Fk.pk8");
        assertThat(target.properties().getProperty("password")).isNull();
    }

    @Test
    void versionIsTheLastTagOrTheLastId() {
        ChangeSetRef a = new ChangeSetRef("001-a", "me", "a.yaml");
        ChangeSetRef b = new ChangeSetRef("002-b", "me", "b.yaml");
        Instant t1 = Instant.parse("2026-01-01T00:00:00Z");
        Instant t2 = Instant.parse("2026-01-02T00:00:00Z");
        assertThat(MigrationRunner.statusOf(List.of(), List.of(a)).currentVersion()).isEmpty();
        MigrationStatus tagged = MigrationRunner.statusOf(List.of(new AppliedChangeSet(a, t1, 1, "EXECUTED", Optional.of("v1"))), List.of(b));
        assertThat(tagged.currentVersion()).contains("v1");
        assertThat(tagged.pendingCount()).isEqualTo(1);
        MigrationStatus untagged = MigrationRunner.statusOf(List.of(new AppliedChangeSet(a, t1, 1, "EXECUTED", Optional.of("v1")),
                new AppliedChangeSet(b, t2, 2, "EXECUTED", Optional.empty())), List.of());
        assertThat(untagged.currentVersion()).contains("002-b");
        assertThat(untagged.lastApplied()).contains(t2);
        assertThat(untagged.upToDate()).isTrue();
    }
}
