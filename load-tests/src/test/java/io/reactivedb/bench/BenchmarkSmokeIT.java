package io.reactivedb.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.bench.RouterBenchmark.Options;
import io.reactivedb.bench.RouterBenchmark.Series;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import org.junit.jupiter.api.Test;

/**
 * The benchmark still works, without measuring anything: every client runs for about a second on
 * a small table, with few operations in flight, no warm-up and one round, and must complete
 * operations without a single error. The figures of such a run mean nothing and are not checked.
 */
@DevClusterTest
class BenchmarkSmokeIT {

    @Test
    void everyClientCompletesOperationsWithoutErrors(DevCluster cluster) throws Exception {
        RouterBenchmark.seed(cluster, 1_000);
        Options options = Options.parse("--rounds=1", "--seconds=1", "--warmup=0", "--rows=1000", "--concurrency=8", "--pool=4");

        Report report = RouterBenchmark.run(cluster, options);

        assertThat(report.series()).extracting(series -> series.contender().key()).containsExactlyElementsOf(RouterBenchmark.CLIENTS);
        for (Series series : report.series()) {
            assertThat(series.rounds()).as(series.contender().label()).singleElement().satisfies(round -> {
                assertThat(round.ops()).as("%s operations", series.contender().label()).isPositive();
                assertThat(round.errors()).as("%s errors", series.contender().label()).isZero();
                assertThat(round.p99Micros()).as("%s p99", series.contender().label()).isPositive();
            });
        }
        assertThat(report.markdown("--rounds=1")).contains("| raw r2dbc-pool |", "| router, full operator stack |");
        assertThat(report.chart()).startsWith("<svg").contains("router, reads over 2 replicas").endsWith("</svg>\n");
    }
}
