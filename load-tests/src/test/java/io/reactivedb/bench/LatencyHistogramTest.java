package io.reactivedb.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void percentilesOfAUniformSpreadAreWithinTheBucketPrecision() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (long micros = 1; micros <= 10_000; micros++) {
            histogram.record(micros * 1_000);
        }
        assertThat(histogram.count()).isEqualTo(10_000);
        assertThat(histogram.valueAt(0.50)).isCloseTo(5_000_000, within(5_000_000 * 0.016));
        assertThat(histogram.valueAt(0.99)).isCloseTo(9_900_000, within(9_900_000 * 0.016));
        assertThat(histogram.valueAt(1.0)).isCloseTo(10_000_000, within(10_000_000 * 0.016));
    }

    @Test
    void aFewSlowOperationsMoveP99NotP50() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < 980; i++) {
            histogram.record(1_000_000);
        }
        for (int i = 0; i < 20; i++) {
            histogram.record(50_000_000);
        }
        assertThat(histogram.valueAt(0.50)).isCloseTo(1_000_000, within(16_000.0));
        assertThat(histogram.valueAt(0.99)).isCloseTo(50_000_000, within(800_000.0));
    }

    @Test
    void bucketsAreExactBelowSixtyFourAndContiguousAbove() {
        for (long value = 0; value < 64; value++) {
            assertThat(LatencyHistogram.lowestOf(LatencyHistogram.index(value))).isEqualTo(value);
        }
        for (long value = 64; value < 1_000_000; value += 997) {
            int index = LatencyHistogram.index(value);
            assertThat(LatencyHistogram.lowestOf(index)).isLessThanOrEqualTo(value);
            assertThat(LatencyHistogram.lowestOf(index + 1)).isGreaterThan(value);
        }
        assertThat(new LatencyHistogram().valueAt(0.99)).isZero();
    }
}
