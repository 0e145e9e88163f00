package io.reactivedb.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Seconds-long runs of every Gatling simulation against the real demo service and a real dev
 * cluster, through the same runner as {@code bin/load-test}: proves they still work together
 * (requests, the balance check, the failover script). Measures nothing.
 */
class LoadTestSmokeIT {

    @Test
    void everySimulationPassesItsAssertionsAndWritesAReport() throws IOException {
        Path results = LoadTestRunner.projectDir().resolve("load-tests/target/gatling");
        int code = LoadTestRunner.run(new String[] {"--smoke"});

        assertThat(code).as("exit code of the smoke run (each simulation's verdict is printed above)").isZero();
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
