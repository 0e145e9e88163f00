package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PromQlNamesTest {

    @Test
    void aQuantileOverARateNamesTheBucketSeriesItsMatchersAndItsGrouping() {
        PromQlNames names = PromQlNames.of("histogram_quantile(0.99, sum by (le, endpoint) "
                + "(rate(reactivedb_query_seconds_bucket{instance=~\"$instance\", endpoint=~\"$endpoint\"}[$__rate_interval])))");
        assertThat(names.metrics()).containsOnlyKeys("reactivedb_query_seconds_bucket");
        assertThat(names.metrics().get("reactivedb_query_seconds_bucket")).containsExactly("instance", "endpoint");
        assertThat(names.grouping()).containsExactly("le", "endpoint");
    }

    @Test
    void bothSidesOfABinaryOperationAndBareNamesAreFound() {
        PromQlNames names = PromQlNames.of("sum(rate(a_sum[5m])) by (x) / on (x) group_left sum(rate(a_count{y!~\"p|q\"}[5m])) "
                + "+ 2 * b > 0.5 and c offset 1h");
        assertThat(names.metrics()).containsOnlyKeys("a_sum", "a_count", "b", "c");
        assertThat(names.metrics().get("a_count")).containsExactly("y");
        assertThat(names.metrics().get("b")).isEmpty();
        assertThat(names.grouping()).containsExactly("x");
    }

    @Test
    void stringsVariablesAndNumbersNameNothing() {
        PromQlNames names = PromQlNames.of("m{l=\"not_a_metric{x}\", k=~'$v|w'} * 1e3 + ${other}");
        assertThat(names.metrics()).containsOnlyKeys("m");
        assertThat(names.metrics().get("m")).isEqualTo(Set.of("l", "k"));
    }

    @Test
    void anUnclosedSelectorIsRefused() {
        assertThatThrownBy(() -> PromQlNames.of("m{l=\"x\"")).isInstanceOf(IllegalArgumentException.class);
    }
}
