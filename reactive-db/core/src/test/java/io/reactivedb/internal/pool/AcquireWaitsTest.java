package io.reactivedb.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.pool.AcquireWaits;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AcquireWaitsTest {

    @Test
    void waitsLandInTheBucketOfTheirUpperBound() {
        AcquireWaitRecorder recorder = new AcquireWaitRecorder();
        recorder.record(Duration.ofNanos(50_000).toNanos());      // exactly the first bound
        recorder.record(Duration.ofNanos(50_001).toNanos());      // just above it
        recorder.record(Duration.ofMillis(3).toNanos());          // 2 ms < 3 ms <= 5 ms
        recorder.record(Duration.ofMinutes(5).toNanos());         // above every bound
        recorder.record(-1);                                      // a clock oddity counts as no wait
        AcquireWaits waits = recorder.snapshot();
        assertThat(waits.count()).isEqualTo(5);
        assertThat(waits.counts().get(0)).isEqualTo(2);
        assertThat(waits.counts().get(1)).isEqualTo(1);
        assertThat(waits.counts().get(AcquireWaits.BOUNDS.indexOf(Duration.ofMillis(5)))).isEqualTo(1);
        assertThat(waits.counts().get(AcquireWaits.BOUNDS.size())).isEqualTo(1);
        assertThat(waits.totalNanos()).isEqualTo(50_000 + 50_001 + 3_000_000 + 300_000_000_000L);
    }

    @Test
    void percentileIsTheUpperBoundOfTheBucketHoldingTheRank() {
        AcquireWaitRecorder recorder = new AcquireWaitRecorder();
        for (int i = 0; i < 98; i++) {
            recorder.record(Duration.ofNanos(80_000).toNanos());
        }
        recorder.record(Duration.ofMillis(40).toNanos());
        recorder.record(Duration.ofMillis(700).toNanos());
        AcquireWaits waits = recorder.snapshot();
        assertThat(waits.percentile(0.5)).isEqualTo(Duration.ofNanos(100_000));
        assertThat(waits.percentile(0.99)).isEqualTo(Duration.ofMillis(50));
        assertThat(waits.percentile(1.0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(AcquireWaits.empty().percentile(0.99)).isEqualTo(Duration.ZERO);
        assertThat(AcquireWaits.empty().mean()).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> waits.percentile(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(0, 1]");
    }

    @Test
    void aWindowIsTheDifferenceOfTwoSnapshots() {
        AcquireWaitRecorder recorder = new AcquireWaitRecorder();
        recorder.record(Duration.ofMillis(200).toNanos());
        AcquireWaits before = recorder.snapshot();
        recorder.record(Duration.ofMillis(1).toNanos());
        recorder.record(Duration.ofMillis(1).toNanos());
        AcquireWaits window = recorder.snapshot().since(before);
        assertThat(window.count()).isEqualTo(2);
        assertThat(window.percentile(0.99)).isEqualTo(Duration.ofMillis(1));
        assertThat(window.mean()).isEqualTo(Duration.ofMillis(1));
        assertThatThrownBy(() -> before.since(recorder.snapshot())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("earlier");
    }
}
