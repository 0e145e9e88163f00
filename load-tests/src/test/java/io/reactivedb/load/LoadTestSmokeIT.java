package io.reactivedb.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Seconds-long runs of every Gatling simulation against the real demo service and a real dev
 * cluster, through the same runner as {@code bin/load-test}: proves they still work together
 * (requests, the balance check, the failover script). Measures nothing.
 *
 * <p>The runner gets a JVM of its own, as under {@code bin/load-test}: this test JVM has BlockHound
 * installed (for the benchmark's smoke), which has no business inside Gatling's own event loops.
 */
class LoadTestSmokeIT {

    private static final Duration LIMIT = Duration.ofMinutes(10);

    @Test
    void everySimulationPassesItsAssertionsAndWritesAReport() throws IOException, InterruptedException {
        Path project = LoadTestRunner.projectDir();
        Path results = project.resolve("load-tests/target/gatling");
        Path log = project.resolve("load-tests/target/load-smoke.log");
        Files.createDirectories(log.getParent());
        Process runner = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), LoadTestRunner.class.getName(), "--smoke")
                .directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = runner.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            // SIGTERM: the runner's shutdown hooks stop the service and the cluster.
            runner.destroy();
            runner.waitFor(60, TimeUnit.SECONDS);
        }
        String output = Files.readString(log);

        assertThat(finished).as("smoke run within %s; its output:%n%s", LIMIT, output).isTrue();
        assertThat(runner.exitValue()).as("exit code of the smoke run; its output:%n%s", output).isZero();
        assertThat(output).contains("ReadHeavySimulation: passed", "WriteHeavySimulation: passed",
                "MixedStreamingSimulation: passed", "FailoverSimulation: passed");
        try (Stream<Path> runs = Files.list(results)) {
            List<String> reports = runs.filter(dir -> Files.isRegularFile(dir.resolve("index.html")))
                    .map(dir -> dir.getFileName().toString()).toList();
            assertThat(reports).anyMatch(name -> name.startsWith("readheavysimulation"))
                    .anyMatch(name -> name.startsWith("writeheavysimulation"))
                    .anyMatch(name -> name.startsWith("mixedstreamingsimulation"))
                    .anyMatch(name -> name.startsWith("failoversimulation"));
        }
    }
}
