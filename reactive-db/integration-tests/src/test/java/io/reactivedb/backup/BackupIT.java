package io.reactivedb.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backup, verification, restore and retention against the dev cluster's primary, each test in databases of its own. */
@DevClusterTest
class BackupIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path folder;

    private DevCluster cluster;
    private final List<String> databases = new java.util.ArrayList<>();

    private String createDatabase(DevCluster devCluster) {
        this.cluster = devCluster;
        String name = "backup_it_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24, 1 << 30));
        cluster.psql(cluster.primary(), "postgres", "CREATE DATABASE " + name);
        databases.add(name);
        cluster.psql(cluster.primary(), name, String.join("\n",
                "CREATE TABLE customer (id bigint PRIMARY KEY, name text NOT NULL, joined date NOT NULL);",
                "INSERT INTO customer SELECT g, 'customer ' || g, date '2020-01-01' + g FROM generate_series(1, 2000) g;",
                "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customer, amount numeric(12,2), note text);",
                "INSERT INTO orders (customer_id, amount, note) SELECT 1 + g % 2000, g * 1.25, md5(g::text) FROM generate_series(1, 3000) g;",
                "CREATE SCHEMA audit;",
                "CREATE TABLE audit.event (id int, payload jsonb, data bytea);",
                "INSERT INTO audit.event SELECT g, jsonb_build_object('n', g, 'tag', 'x' || g), decode(md5(g::text), 'hex') FROM generate_series(1, 1500) g;",
                "CREATE TABLE empty_one (x int);"));
        return name;
    }

    @AfterEach
    void dropDatabases() {
        if (cluster == null) {
            return;
        }
        for (String name : databases) {
            String leftovers = cluster.psql(cluster.primary(), "postgres",
                    "SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE '" + name + "\\_%'");
            for (String extra : leftovers.isBlank() ? new String[0] : leftovers.split(",")) {
                cluster.psql(cluster.primary(), "postgres", "DROP DATABASE IF EXISTS \"" + extra + "\" WITH (FORCE)");
            }
            cluster.psql(cluster.primary(), "postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    private EndpointSettings endpoint(String database) {
        return cluster.superuserEndpoint(cluster.primary()).toBuilder().database(database).build();
    }

    private BackupService service(String database, BackupSettings.Builder settings) {
        return BackupService.builder(settings.directory(folder).build(), endpoint(database)).build();
    }

    /** md5 of every table's rows in a fixed order. */
    private Map<String, String> contents(String database) {
        Map<String, String> digests = new LinkedHashMap<>();
        String tables = cluster.psql(cluster.primary(), database, "SELECT string_agg(format('%I.%I', schemaname, tablename), ',' ORDER BY 1)"
                + " FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
        for (String table : tables.split(",")) {
            digests.put(table, cluster.psql(cluster.primary(), database,
                    "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM " + table + " t"));
        }
        return digests;
    }

    private List<String> scratchDatabases(String base) {
        String names = cluster.psql(cluster.primary(), "postgres",
                "SELECT coalesce(string_agg(datname, ','), '') FROM pg_database WHERE datname LIKE '" + base + "\\_%'");
        return names.isBlank() ? List.of() : List.of(names.split(","));
    }

    private static String sha256(byte[] bytes) {
        java.security.MessageDigest digest = Tap.sha256();
        return Tap.hex(digest.digest(bytes));
    }

    /**
     * The dev cluster's own database as its backup role ({@code pg_read_all_data}, {@code CREATEDB}, no
     * superuser): the dump's {@code pg_stat_statements}, which only a superuser may create, is left out
     * of the scratch restore, and the backup verifies. As the application role (no {@code CREATEDB}) the
     * verification cannot run: that is {@code NOT_RUN}, and the backup stays verified.
     */
    @Test
    void theBackupRoleVerifiesTheAppDatabaseAndAVerificationThatCannotRunMarksNothingFailed(DevCluster devCluster) {
        cluster = devCluster;
        BackupSettings settings = BackupSettings.builder().directory(folder).build();
        BackupService asBackupRole = BackupService.builder(settings, devCluster.backupEndpoint()).build();
        BackupMetadata backup = asBackupRole.backup().block(WAIT);
        VerificationResult verified = asBackupRole.verify(backup.id()).block(WAIT);
        assertThat(verified.outcome()).as(verified.message()).isEqualTo(VerificationResult.Outcome.PASSED);
        assertThat(verified.message()).contains("left out extension(s) pg_stat_statements");
        assertThat(scratchDatabases(devCluster.database())).isEmpty();

        BackupService asApp = BackupService.builder(settings, devCluster.endpoint(devCluster.primary(),
                io.reactivedb.config.EndpointRole.PRIMARY)).build();
        VerificationResult refused = asApp.verify(backup.id()).block(WAIT);
        assertThat(refused.outcome()).as(refused.message()).isEqualTo(VerificationResult.Outcome.NOT_RUN);
        assertThat(refused.passed()).isFalse();
        assertThat(refused.message()).contains("could not create the scratch database").contains("CREATEDB")
                .contains("permission denied to create database");
        BackupMetadata recorded = asApp.list().blockFirst(WAIT);
        assertThat(recorded.verified()).as("the earlier verification stands").isTrue();
        assertThat(recorded.lastVerification()).hasValueSatisfying(v -> assertThat(v.message()).isEqualTo(verified.message()));
        assertThat(recorded.lastUnrunVerification()).hasValueSatisfying(v -> assertThat(v.message()).isEqualTo(refused.message()));
        io.reactivedb.health.ComponentHealth health = asApp.health().check().block(WAIT);
        assertThat(health.status()).isEqualTo(io.reactivedb.health.ComponentHealth.Status.UP);
        assertThat(health.details()).containsEntry("lastVerificationPassed", true).containsKey("lastUnrunVerificationMessage");

        // A backup never verified, whose only verification could not run: unverified (DEGRADED), not failed.
        BackupMetadata second = asBackupRole.backup().block(WAIT);
        assertThat(asApp.verify(second.id()).block(WAIT).outcome()).isEqualTo(VerificationResult.Outcome.NOT_RUN);
        assertThat(asApp.list().collectList().block(WAIT)).filteredOn(b -> b.id().equals(second.id())).singleElement()
                .satisfies(b -> assertThat(b.lastVerification()).isEmpty());
    }

    @Test
    void anEncryptedBackupVerifiesAndRestoresToIdenticalData(DevCluster devCluster) throws IOException {
        String database = createDatabase(devCluster);
        Map<String, String> original = contents(database);
        BackupService service = service(database, BackupSettings.builder().encryptionKey(EncryptionKey.generate())
                .progressInterval(Duration.ofMillis(1)));

        List<BackupEvent> events = service.backupWithProgress().collectList().block(WAIT);
        assertThat(events.get(0)).isInstanceOf(BackupEvent.Started.class);
        BackupMetadata backup = ((BackupEvent.Completed) events.get(events.size() - 1)).backup();
        List<BackupEvent.Progress> progress = events.stream().filter(BackupEvent.Progress.class::isInstance)
                .map(BackupEvent.Progress.class::cast).toList();
        for (int i = 1; i < progress.size(); i++) {
            assertThat(progress.get(i).dumpBytes()).isGreaterThanOrEqualTo(progress.get(i - 1).dumpBytes());
        }
        progress.forEach(p -> assertThat(p.dumpBytes()).isLessThanOrEqualTo(backup.dumpBytes()));

        assertThat(backup.encrypted()).isTrue();
        assertThat(backup.database()).isEqualTo(database);
        assertThat(backup.serverVersion()).startsWith(String.valueOf(cluster.serverVersion().replaceAll("\\D*(\\d+).*", "$1")));
        assertThat(backup.tableRows()).containsExactlyInAnyOrderEntriesOf(Map.of("public.customer", 2000L, "public.orders", 3000L,
                "audit.event", 1500L, "public.empty_one", 0L));
        Path file = folder.resolve(backup.file());
        assertThat(Files.size(file)).isEqualTo(backup.sizeBytes());
        assertThat(Files.readString(folder.resolve(backup.id() + ".sha256"))).isEqualTo(backup.sha256() + "  " + backup.file() + "\n");
        assertThat(Files.readString(folder.resolve(backup.id() + ".json"))).contains("\"encrypted\": true").contains("\"serverVersion\"");
        // Encrypted: none of the table data is readable in the file.
        assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1)).doesNotContain("customer").startsWith("RDBENC01");
        assertThat(folder).isDirectoryNotContaining("glob:**.partial");

        VerificationResult verified = service.verify(backup.id()).block(WAIT);
        assertThat(verified.passed()).as(verified.message()).isTrue();
        assertThat(verified.restoredRows()).isEqualTo(backup.tableRows());
        assertThat(scratchDatabases(database)).isEmpty();
        assertThat(service.list().collectList().block(WAIT)).singleElement().satisfies(b -> assertThat(b.verified()).isTrue());

        // Change the database after the backup: rows gone, rows changed, a table dropped and one added.
        cluster.psql(cluster.primary(), database, "DELETE FROM orders WHERE id % 3 = 0; UPDATE customer SET name = 'renamed';"
                + " DROP TABLE audit.event; CREATE TABLE added_later (y int); INSERT INTO added_later VALUES (1)");
        Map<String, String> changed = contents(database);
        assertThat(changed).isNotEqualTo(original);

        RestoreReport report = service.restore(backup.id(), database, true).block(WAIT);
        assertThat(contents(database)).isEqualTo(original);
        assertThat(report.replacedExisting()).isTrue();
        assertThat(report.restoredRows()).isEqualTo(backup.tableRows());
        assertThat(report.preRestoreBackup()).isPresent();
        assertThat(report.describe()).contains(backup.id()).contains(database).contains("pre-restore backup");
        assertThat(scratchDatabases(database)).isEmpty();

        // The pre-restore backup holds the database as it was just before: restoring it brings the changes back.
        BackupMetadata before = service.list().filter(b -> b.id().equals(report.preRestoreBackup().get())).blockFirst(WAIT);
        assertThat(before.kind()).isEqualTo(BackupMetadata.Kind.PRE_RESTORE);
        assertThat(before.tableRows()).containsEntry("public.added_later", 1L).doesNotContainKey("audit.event")
                .containsEntry("public.orders", 2000L);
        service.restore(before.id(), database, true).block(WAIT);
        assertThat(contents(database)).isEqualTo(changed);
    }

    @Test
    void backupFilesAreReadableByTheOwnerOnlyAndANewFolderToo(DevCluster devCluster) throws IOException {
        String database = createDatabase(devCluster);
        Path created = folder.resolve("new").resolve("backups");
        BackupService service = BackupService.builder(BackupSettings.builder().directory(created).build(), endpoint(database)).build();

        // Unencrypted: the file holds the data in the clear, so it must not be world-readable.
        BackupMetadata backup = service.backup().block(WAIT);
        for (Path file : List.of(created.resolve(backup.file()), created.resolve(backup.id() + ".sha256"), created.resolve(backup.id() + ".json"))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(file.toString()).isEqualTo("rw-------");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created.getParent()))).isEqualTo("rwx------");

        // Metadata rewritten by a verification keeps the mode.
        assertThat(service.verify(backup.id()).block(WAIT).passed()).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created.resolve(backup.id() + ".json")))).isEqualTo("rw-------");
    }

    @Test
    void aBackupWithOneFlippedByteFailsVerificationWithAClearMessage(DevCluster devCluster) throws IOException {
        String database = createDatabase(devCluster);
        BackupService service = service(database, BackupSettings.builder());
        BackupMetadata backup = service.backup().block(WAIT);
        assertThat(backup.encrypted()).isFalse();
        Path file = folder.resolve(backup.file());
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);

        VerificationResult result = service.verify(backup.id()).block(WAIT);
        assertThat(result.passed()).isFalse();
        assertThat(result.message()).startsWith("checksum mismatch: " + backup.file() + " has SHA-256 ")
                .contains("recorded " + backup.sha256()).contains("damaged or was altered");
        BackupMetadata recorded = service.list().blockFirst(WAIT);
        assertThat(recorded.verified()).isFalse();
        assertThat(recorded.lastVerification()).hasValueSatisfying(v -> assertThat(v.message()).isEqualTo(result.message()));

        // Also with the checksums rewritten to match, the damage is caught while restoring; the scratch database is dropped.
        BackupMetadata forged = new BackupMetadata(backup.id(), backup.kind(), backup.createdAt(), backup.took(), backup.database(),
                backup.server(), backup.serverVersion(), backup.pgDumpVersion(), backup.file(), backup.sizeBytes(), backup.dumpBytes(),
                sha256(bytes), backup.dumpSha256(), false, "gzip", backup.tableRows(), java.util.Optional.empty());
        new BackupStore(folder).write(forged);
        VerificationResult deeper = service.verify(backup.id()).block(WAIT);
        assertThat(deeper.passed()).isFalse();
        assertThat(deeper.message()).contains("backup " + backup.id()).contains("damaged");
        assertThat(scratchDatabases(database)).isEmpty();
    }

    @Test
    void aWrongOrMissingKeyFailsClearly(DevCluster devCluster) {
        String database = createDatabase(devCluster);
        BackupMetadata backup = service(database, BackupSettings.builder().encryptionKey(EncryptionKey.generate())).backup().block(WAIT);

        VerificationResult wrong = service(database, BackupSettings.builder().encryptionKey(EncryptionKey.generate()))
                .verify(backup.id()).block(WAIT);
        assertThat(wrong.passed()).isFalse();
        assertThat(wrong.message()).isEqualTo("the configured BACKUP_ENCRYPTION_KEY is not the key this backup was encrypted with");

        VerificationResult none = service(database, BackupSettings.builder()).verify(backup.id()).block(WAIT);
        assertThat(none.message()).isEqualTo("backup " + backup.id() + " is encrypted and no BACKUP_ENCRYPTION_KEY is configured");

        assertThatThrownBy(() -> service(database, BackupSettings.builder().encryptionKey(EncryptionKey.generate()))
                .restore(backup.id(), database, true).block(WAIT))
                .isInstanceOf(BackupIntegrityException.class)
                .hasMessageContaining("not the key this backup was encrypted with");
        assertThat(scratchDatabases(database)).isEmpty();
    }

    @Test
    void restoreWithoutConfirmationRefusesAndChangesNothing(DevCluster devCluster) {
        String database = createDatabase(devCluster);
        BackupService service = service(database, BackupSettings.builder());
        BackupMetadata backup = service.backup().block(WAIT);
        cluster.psql(cluster.primary(), database, "DELETE FROM orders");
        Map<String, String> now = contents(database);

        assertThatThrownBy(() -> service.restore(backup.id(), database, false).block(WAIT))
                .isInstanceOf(RestoreNotConfirmedException.class)
                .hasMessageContaining("needs an explicit confirmation").hasMessageContaining("Nothing was changed");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:" + cluster.primary().port() + "/" + database,
                "DB_PASSWORD", cluster.superuserPassword().reveal(), "BACKUP_DIR", folder.toString());
        int code = BackupCli.run(new String[] {"restore", backup.id()}, new PrintStream(out), new PrintStream(err), env);
        assertThat(code).isEqualTo(BackupCli.NOT_CONFIRMED);
        assertThat(err.toString()).contains("--confirm");

        assertThat(contents(database)).isEqualTo(now);
        assertThat(service.list().collectList().block(WAIT)).extracting(BackupMetadata::id).containsExactly(backup.id());
    }

    @Test
    void retentionDeletesOnlyExpiredBackups(DevCluster devCluster) throws IOException {
        String database = createDatabase(devCluster);
        Instant now = Instant.parse("2026-11-23T12:00:00Z");
        MutableClock clock = new MutableClock(now.minus(Duration.ofDays(9)));
        BackupService service = BackupService.builder(BackupSettings.builder().directory(folder).retentionDays(7).build(), endpoint(database))
                .clock(clock).build();
        BackupMetadata nineDays = service.backup().block(WAIT);
        clock.set(now.minus(Duration.ofDays(8)));
        BackupMetadata eightDays = service.backup().block(WAIT);
        clock.set(now.minus(Duration.ofDays(6)));
        BackupMetadata sixDays = service.backup().block(WAIT);
        clock.set(now.minus(Duration.ofDays(3)));
        // Retention also runs after each backup: nothing is older than 7 days yet.
        BackupMetadata fresh = service.backup().block(WAIT);
        Files.writeString(folder.resolve("notes.txt"), "not a backup");
        assertThat(service.list().collectList().block(WAIT)).hasSize(4);

        clock.set(now);
        PruneReport report = service.prune().block(WAIT);
        assertThat(report.deleted()).containsExactlyInAnyOrder(nineDays.id(), eightDays.id());
        assertThat(report.kept()).containsExactlyInAnyOrder(sixDays.id(), fresh.id());
        assertThat(service.list().collectList().block(WAIT)).extracting(BackupMetadata::id).containsExactly(fresh.id(), sixDays.id());
        assertThat(folder.resolve(nineDays.file())).doesNotExist();
        assertThat(folder.resolve(nineDays.id() + ".sha256")).doesNotExist();
        assertThat(folder.resolve(eightDays.id() + ".json")).doesNotExist();
        assertThat(folder.resolve(sixDays.file())).exists();
        assertThat(folder.resolve("notes.txt")).exists();
    }

    @Test
    void backupHealthInTheRouterSnapshotTurnsDegradedWhenTheNewestVerifiedBackupIsTooOld(DevCluster devCluster) {
        String database = createDatabase(devCluster);
        Instant madeAt = Instant.parse("2026-11-23T02:00:00Z");
        MutableClock clock = new MutableClock(madeAt);
        BackupService service = BackupService.builder(BackupSettings.builder().directory(folder).maxAge(Duration.ofHours(26)).build(),
                endpoint(database)).clock(clock).build();
        BackupMetadata backup = service.backup().block(WAIT);
        assertThat(service.verify(backup.id()).block(WAIT).passed()).isTrue();
        clock.set(madeAt.plus(Duration.ofHours(25)));

        io.reactivedb.routing.ReactiveDbRouter router = io.reactivedb.routing.ReactiveDbRouter.builder(cluster.settings())
                .health(io.reactivedb.health.HealthSettings.builder().interval(Duration.ofMillis(500)).probeTimeout(Duration.ofMillis(500)).build())
                .healthComponent(service.health())
                .build();
        List<io.reactivedb.health.HealthEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        reactor.core.Disposable subscription = router.health().orElseThrow().events().subscribe(events::add);
        try {
            io.reactivedb.testing.Await.until("backup component UP", WAIT, () -> router.health().orElseThrow().current()
                    .flatMap(s -> s.component(BackupHealth.NAME))
                    .map(c -> c.status() == io.reactivedb.health.ComponentHealth.Status.UP).orElse(false));
            io.reactivedb.health.ComponentHealth up = router.health().orElseThrow().current().orElseThrow().component(BackupHealth.NAME).orElseThrow();
            assertThat(up.details()).containsEntry("newestVerifiedBackup", backup.id())
                    .containsEntry("newestVerifiedAgeSeconds", Duration.ofHours(25).toSeconds())
                    .containsEntry("lastVerificationPassed", true);

            clock.set(madeAt.plus(Duration.ofHours(27)));
            io.reactivedb.testing.Await.until("status DEGRADED by the backup's age", WAIT, () -> router.health().orElseThrow().current()
                    .map(s -> s.status() == io.reactivedb.health.HealthStatus.DEGRADED
                            && s.component(BackupHealth.NAME).orElseThrow().status() == io.reactivedb.health.ComponentHealth.Status.DEGRADED)
                    .orElse(false));
            assertThat(router.health().orElseThrow().current().orElseThrow().component(BackupHealth.NAME).orElseThrow().details().get("reason"))
                    .asString().contains("27 h old, older than DB_BACKUP_MAX_AGE PT26H");
            io.reactivedb.testing.Await.until("a ComponentStatusChanged event", WAIT, () -> events.stream()
                    .anyMatch(e -> e instanceof io.reactivedb.health.HealthEvent.ComponentStatusChanged c
                            && c.component().equals(BackupHealth.NAME) && c.to() == io.reactivedb.health.ComponentHealth.Status.DEGRADED));
        } finally {
            subscription.dispose();
            router.shutdown(Duration.ofSeconds(5)).block(WAIT);
        }
    }

    @Test
    void theCommandLineBacksUpVerifiesListsRestoresAndPrunes(DevCluster devCluster) {
        String database = createDatabase(devCluster);
        Map<String, String> env = Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:" + cluster.primary().port() + "/" + database,
                "DB_PASSWORD", cluster.superuserPassword().reveal(), "BACKUP_DIR", folder.toString(),
                "BACKUP_ENCRYPTION_KEY", EncryptionKey.generate().toBase64());
        String[] output = new String[2];
        java.util.function.Function<String[], Integer> cli = args -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = BackupCli.run(args, new PrintStream(out), new PrintStream(err), env);
            output[0] = out.toString();
            output[1] = err.toString();
            return code;
        };
        assertThat(cli.apply(new String[] {"backup"})).as("%s", output).isEqualTo(BackupCli.OK);
        assertThat(output[0]).contains("backing up " + database).contains("4 tables, 6500 rows, encrypted");
        assertThat(cli.apply(new String[] {"verify"})).as("%s", output).isEqualTo(BackupCli.OK);
        assertThat(output[0]).startsWith("verified " + database + "-").contains("every row count matches");
        assertThat(cli.apply(new String[] {"list"})).isEqualTo(BackupCli.OK);
        assertThat(output[0]).contains("encrypted").contains("verified 20");
        cluster.psql(cluster.primary(), database, "TRUNCATE orders");
        assertThat(cli.apply(new String[] {"restore", "latest", "--confirm"})).as("%s", output).isEqualTo(BackupCli.OK);
        assertThat(output[0]).contains("restored backup").contains("6500 rows").contains("pre-restore backup");
        assertThat(cluster.psql(cluster.primary(), database, "SELECT count(*) FROM orders")).isEqualTo("3000");
        assertThat(cli.apply(new String[] {"prune"})).isEqualTo(BackupCli.OK);
        assertThat(output[0]).contains("prune: 0 deleted, 2 kept");

        Map<String, String> wrongKey = new java.util.HashMap<>(env);
        wrongKey.put("BACKUP_ENCRYPTION_KEY", EncryptionKey.generate().toBase64());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String latest = service(database, BackupSettings.builder()).list().filter(b -> b.kind() == BackupMetadata.Kind.REGULAR).blockFirst(WAIT).id();
        assertThat(BackupCli.run(new String[] {"verify", latest}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err), wrongKey))
                .isEqualTo(BackupCli.VERIFICATION_FAILED);
        assertThat(err.toString()).contains("FAILED: the configured BACKUP_ENCRYPTION_KEY is not the key this backup was encrypted with");
    }

    /** A pg_dump that writes a few bytes, records its pid and hangs; a pg_restore that fails. */
    private static Path fakeTools(Path dir) throws IOException {
        Path dump = dir.resolve("pg_dump");
        Files.writeString(dump, String.join("\n", "#!/bin/sh",
                "if [ \"$1\" = \"--version\" ]; then echo 'pg_dump (PostgreSQL) 15 fake'; exit 0; fi",
                "echo $$ > '" + dir.resolve("pid") + "'",
                "printf 'PGDMP-partial'",
                "exec sleep 120", ""));
        Path restore = Files.writeString(dir.resolve("pg_restore"), "#!/bin/sh\nexit 1\n");
        dump.toFile().setExecutable(true);
        restore.toFile().setExecutable(true);
        return dir;
    }

    private static boolean alive(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aHungDumpIsKilledAtTheTimeLimitOrOnCancelAndLeavesNoPartialFile(DevCluster devCluster, @TempDir Path toolDir) throws IOException {
        String database = createDatabase(devCluster);
        Path tools = fakeTools(toolDir);
        BackupService service = BackupService.builder(BackupSettings.builder().directory(folder).binDir(tools).timeout(Duration.ofSeconds(3))
                .progressInterval(Duration.ofMillis(100)).build(), endpoint(database)).build();

        // Cancel first: it also warms up this JVM's driver, so the 3 s limit below only has the hung dump to stop.
        List<BackupEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        BackupService patient = BackupService.builder(service.settings().toBuilder().timeout(BackupSettings.DEFAULT_TIMEOUT).build(),
                endpoint(database)).build();
        reactor.core.Disposable running = patient.backupWithProgress().subscribe(seen::add);
        io.reactivedb.testing.Await.until("progress with the first bytes", WAIT, () -> seen.stream()
                .anyMatch(e -> e instanceof BackupEvent.Progress p && p.dumpBytes() == "PGDMP-partial".length()));
        assertThat(folder).isDirectoryContaining("glob:**.partial");
        running.dispose();
        io.reactivedb.testing.Await.until("the cancelled pg_dump killed", WAIT, () -> !alive(tools.resolve("pid")));
        io.reactivedb.testing.Await.until("the partial file deleted", WAIT, () -> folder.toFile().list().length == 0);
        Files.delete(tools.resolve("pid"));

        reactor.test.StepVerifier.create(service.backupWithProgress())
                .expectNextMatches(BackupEvent.Started.class::isInstance)
                .thenConsumeWhile(BackupEvent.Progress.class::isInstance)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(BackupException.class)
                        .hasMessage("the backup of " + database + " did not finish within PT3S; pg_dump was stopped"))
                .verify(WAIT);
        io.reactivedb.testing.Await.until("the hung pg_dump killed", WAIT, () -> !alive(tools.resolve("pid")));
        io.reactivedb.testing.Await.until("the partial file deleted", WAIT, () -> folder.toFile().list().length == 0);

        assertThat(scratchDatabases(database)).isEmpty();
    }
}
