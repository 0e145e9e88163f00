package io.reactivedb.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.health.ComponentHealth;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.StepVerifier;

/** Metadata, retention, backup health and the command line, on a folder of metadata the test writes (no database). */
class BackupOfflineTest {

    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    @TempDir
    Path folder;

    private final MutableClock clock = new MutableClock(NOW);

    private static BackupMetadata backup(String database, Instant at, Optional<BackupMetadata.Verification> verification) {
        String id = database + "-" + at.toEpochMilli();
        return new BackupMetadata(id, BackupMetadata.Kind.REGULAR, at, Duration.ofMillis(1234), database, "127.0.0.1:5432", "15.18",
                "pg_dump (PostgreSQL) 15.18", BackupStore.dataFileName(id, false), 10, 20, "ab", "cd", false, "gzip",
                Map.of("public.t", 3L), verification);
    }

    private BackupMetadata stored(BackupMetadata backup) throws IOException {
        new BackupStore(folder).write(backup);
        Files.writeString(folder.resolve(backup.file()), "data");
        return backup;
    }

    private BackupService service() {
        return BackupService.builder(BackupSettings.builder().directory(folder).retentionDays(7).build(),
                EndpointSettings.builder().name("primary").host("127.0.0.1").database("app").username("app").build()).clock(clock).build();
    }

    private static Optional<BackupMetadata.Verification> passed(Instant at) {
        return Optional.of(new BackupMetadata.Verification(at, true, "ok"));
    }

    @Test
    void metadataRoundTripsThroughJson() {
        BackupMetadata original = new BackupMetadata("app-1", BackupMetadata.Kind.PRE_RESTORE, NOW, Duration.ofMillis(5), "app",
                "h:1", "15.18 (Debian)", "pg_dump \"15\"", "app-1.pgdump.gz.enc", 1L << 40, 7, "00ff", "ff00", true, "gzip",
                Map.of("public.a\"b", 0L, "s.t\\u", 9_000_000_000L), Optional.of(new BackupMetadata.Verification(NOW, false, "line 1\nline\t2")));
        String json = original.toJson();
        assertThat(BackupMetadata.fromJson(json)).isEqualTo(original);
        assertThat(json).contains("\"encrypted\": true").contains("\"createdAt\": \"2026-11-23T12:00:00Z\"");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BackupMetadata.fromJson(json.replace("\"format\": 1", "\"format\": 2")))
                .hasMessageContaining("format 2");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BackupMetadata.fromJson("{\"format\": 1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pruneDeletesExpiredBackupsButKeepsTheNewestVerifiedOneOfEachDatabase() throws IOException {
        BackupMetadata oldVerified = stored(backup("app", NOW.minus(Duration.ofDays(10)), passed(NOW.minus(Duration.ofDays(10)))));
        BackupMetadata oldUnverified = stored(backup("app", NOW.minus(Duration.ofDays(9)), Optional.empty()));
        BackupMetadata justExpired = stored(backup("app", NOW.minus(Duration.ofDays(7)).minusSeconds(1), Optional.empty()));
        BackupMetadata justInside = stored(backup("app", NOW.minus(Duration.ofDays(7)).plusSeconds(1), Optional.empty()));
        BackupMetadata otherOld = stored(backup("other", NOW.minus(Duration.ofDays(30)), Optional.empty()));
        Path part = Files.writeString(folder.resolve("x.pgdump.gz.partial"), "half");
        Files.setLastModifiedTime(part, java.nio.file.attribute.FileTime.from(NOW.minus(Duration.ofDays(8))));
        Path unrelated = Files.writeString(folder.resolve("README"), "keep me");

        StepVerifier.create(service().prune())
                .assertNext(report -> {
                    assertThat(report.deleted()).containsExactlyInAnyOrder(oldUnverified.id(), justExpired.id(), otherOld.id());
                    assertThat(report.kept()).containsExactlyInAnyOrder(oldVerified.id(), justInside.id());
                    assertThat(report.partsDeleted()).isEqualTo(1);
                })
                .verifyComplete();
        assertThat(folder.resolve(oldUnverified.file())).doesNotExist();
        assertThat(folder.resolve(oldUnverified.id() + ".json")).doesNotExist();
        assertThat(folder.resolve(oldVerified.file())).exists();
        assertThat(part).doesNotExist();
        assertThat(unrelated).exists();
    }

    @Test
    void backupHealthJudgesTheNewestVerifiedBackupOfItsDatabase() throws IOException {
        BackupHealth health = new BackupHealth(folder, "app", Duration.ofHours(26), clock);
        StepVerifier.create(health.check())
                .assertNext(c -> {
                    assertThat(c.status()).isEqualTo(ComponentHealth.Status.DEGRADED);
                    assertThat(c.details()).containsEntry("reason", "no backup of app");
                })
                .verifyComplete();

        stored(backup("other", NOW.minus(Duration.ofHours(1)), passed(NOW)));
        BackupMetadata unverified = stored(backup("app", NOW.minus(Duration.ofHours(1)), Optional.empty()));
        assertThat(health.check().block().details()).containsEntry("reason", "no verified backup of app")
                .containsEntry("newestBackup", unverified.id());

        BackupMetadata verified = stored(backup("app", NOW.minus(Duration.ofHours(20)), passed(NOW.minus(Duration.ofHours(19)))));
        ComponentHealth up = health.check().block();
        assertThat(up.status()).isEqualTo(ComponentHealth.Status.UP);
        assertThat(up.details()).containsEntry("newestVerifiedBackup", verified.id()).containsEntry("newestVerifiedAgeSeconds", 20L * 3600)
                .containsEntry("lastVerificationPassed", true).doesNotContainKey("reason");

        clock.set(NOW.plus(Duration.ofHours(6)).plusSeconds(1));
        assertThat(health.check().block().details().get("reason")).asString().contains("26 h old, older than DB_BACKUP_MAX_AGE PT26H");

        clock.set(NOW);
        stored(unverified.withVerification(new BackupMetadata.Verification(NOW, false, "checksum mismatch")));
        ComponentHealth failed = health.check().block();
        assertThat(failed.status()).isEqualTo(ComponentHealth.Status.DEGRADED);
        assertThat(failed.details()).containsEntry("reason", "the last verification (of " + unverified.id() + ") failed")
                .containsEntry("lastVerificationMessage", "checksum mismatch").containsEntry("newestVerifiedBackup", verified.id());
    }

    @Test
    void theCommandLineReportsUsageAndConfigurationErrorsWithTheirExitCodes() throws IOException {
        assertThat(cli(Map.of())).isEqualTo(BackupCli.USAGE);
        assertThat(cli(Map.of(), "frobnicate")).isEqualTo(BackupCli.USAGE);
        assertThat(cli(Map.of(), "restore")).isEqualTo(BackupCli.USAGE);
        assertThat(cli(Map.of(), "restore", "a", "--into")).isEqualTo(BackupCli.USAGE);
        assertThat(cli(Map.of(), "list", "--confirm")).isEqualTo(BackupCli.USAGE);
        assertThat(cli(Map.of(), "help")).isEqualTo(BackupCli.OK);
        assertThat(cli(Map.of(), "list")).isEqualTo(BackupCli.CONFIGURATION);
        Map<String, String> env = Map.of("DATABASE_URL", "postgresql://app@127.0.0.1:1/app", "BACKUP_DIR", folder.toString());
        assertThat(cli(Map.of("DATABASE_URL", "postgresql://app@127.0.0.1:1/app", "BACKUP_RETENTION_DAYS", "-1"), "list"))
                .isEqualTo(BackupCli.CONFIGURATION);
        assertThat(lastErr).contains("BACKUP_RETENTION_DAYS");
        assertThat(cli(env, "list")).isEqualTo(BackupCli.OK);
        assertThat(lastOut).contains("no backups in");
        BackupMetadata one = stored(backup("app", NOW, passed(NOW)));
        assertThat(cli(env, "list")).isEqualTo(BackupCli.OK);
        assertThat(lastOut).contains(one.id()).contains("verified");
        assertThat(cli(env, "restore", "latest", "--into", "elsewhere")).isEqualTo(BackupCli.NOT_CONFIRMED);
        assertThat(lastErr).contains("refused").contains(one.id()).contains("elsewhere").contains("--confirm");
        assertThat(cli(env, "verify", "no-such-backup")).isEqualTo(BackupCli.FAILED);
        assertThat(lastErr).contains("no backup 'no-such-backup'");
    }

    private String lastOut = "";
    private String lastErr = "";

    private int cli(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = BackupCli.run(args, new PrintStream(out), new PrintStream(err), env);
        lastOut = out.toString();
        lastErr = err.toString();
        return code;
    }

    @Test
    void comparingCountsNamesEveryDifference() {
        assertThat(ScratchRestore.compare(Map.of("a", 1L, "b", 2L, "c", 3L), Map.of("a", 1L, "b", 5L, "d", 0L))).containsExactly(
                "b: 2 rows at dump time, 5 restored", "c: 3 rows at dump time but missing after the restore",
                "d: not in the dump's snapshot but restored with 0 rows");
        assertThat(ScratchRestore.scratchName("x".repeat(80), "verify")).hasSize(63).matches("x+_verify_[0-9a-f]{8}");
        assertThat(List.of(BackupService.bytes(10), BackupService.bytes(2048))).containsExactly("10 B", "2.0 KiB");
    }
}
