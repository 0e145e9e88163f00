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
}
