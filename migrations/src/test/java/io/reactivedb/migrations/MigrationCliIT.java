package io.reactivedb.migrations;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;

@DevClusterTest
class MigrationCliIT {

    @Test
    void cliRunsAsASeparateProcess(DevCluster cluster) throws Exception {
        String database = MigrationRunnerIT.createDatabase(cluster);
        MigrationRunner.create(MigrationRunnerIT.settingsFor(cluster, database)).update(2);

        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder builder = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                MigrationCli.class.getName(), "status", "--fail-on-pending"));
        Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> name.startsWith("DB_") || name.equals("DATABASE_URL"));
        env.put("DATABASE_URL", "postgresql://" + cluster.appUser() + "@" + DevCluster.HOST + ":" + cluster.primary().port() + "/" + database);
        env.put("DB_PASSWORD", cluster.appPassword().reveal());
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(output).isEqualTo(MigrationCli.PENDING);
        assertThat(output).contains("version: 002-create-transfer").contains("pending: 3")
                .contains("003-index-transfer-source::reactive-db::db/changelog/changes/003-index-transfer-source.yaml")
                .doesNotContain(cluster.appPassword().reveal());

        // In process, the same environment: update prints progress, then status is clean.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream ps = new java.io.PrintStream(out, true, StandardCharsets.UTF_8);
        Map<String, String> cliEnv = Map.of("DATABASE_URL", env.get("DATABASE_URL"), "DB_PASSWORD", env.get("DB_PASSWORD"));
        assertThat(MigrationCli.run(new String[] {"update"}, ps, ps, cliEnv)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).containsPattern("applied 003-index-transfer-source::reactive-db \\(\\d+ ms\\)");
        assertThat(MigrationCli.run(new String[] {"status", "--fail-on-pending"}, ps, ps, cliEnv)).isZero();
        assertThat(MigrationCli.run(new String[] {"history"}, ps, ps, cliEnv)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("[tag v1]").contains("version: 005-pg-stat-statements");
    }

    /** The README's sequence as separate processes: what each command prints is what it did. */
    @Test
    void dryRunAppliesNothingUpdateCountsWhatRanAndRollbackToATagKeepsTheTaggedChangeSet(DevCluster cluster) throws Exception {
        String database = MigrationRunnerIT.createDatabase(cluster);
        Map<String, String> env = Map.of(
                "DATABASE_URL", "postgresql://" + cluster.appUser() + "@" + DevCluster.HOST + ":" + cluster.primary().port() + "/" + database,
                "DB_PASSWORD", cluster.appPassword().reveal());

        String dryRun = cli(env, MigrationCli.OK, "update", "--dry-run");
        assertThat(dryRun).contains("CREATE TABLE account").contains("-- dry run: nothing was changed").doesNotContain("applied ");
        assertThat(MigrationRunner.create(MigrationRunnerIT.settingsFor(cluster, database)).status().pendingCount()).isEqualTo(5);

        String update = cli(env, MigrationCli.OK, "update");
        assertThat(update).contains("applied 001-create-account::reactive-db", "applied 004-tag-v1::reactive-db",
                        "marked as ran 005-pg-stat-statements::reactive-db", "update: 4 change set(s) applied")
                .doesNotContain("UPDATE SUMMARY").doesNotContain("Run:").doesNotContain("applied 005");

        String rollback = cli(env, MigrationCli.OK, "rollback", "--to-tag", "v1");
        assertThat(rollback).contains("rolled back 005-pg-stat-statements::reactive-db", "rollback: 1 change set(s) rolled back")
                .doesNotContain("004-tag-v1");
        assertThat(cli(env, MigrationCli.OK, "status")).contains("version: v1").contains("pending: 1");
        assertThat(cli(env, MigrationCli.OK, "rollback", "--to-tag", "v1")).contains("rollback: 0 change set(s) rolled back");
    }

    private static String cli(Map<String, String> variables, int exitCode, String... args) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), MigrationCli.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("DB_") || name.equals("DATABASE_URL"));
        builder.environment().putAll(variables);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", args) + ":\n" + output).isEqualTo(exitCode);
        return output;
    }
}
