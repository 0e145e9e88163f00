package io.reactivedb.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DiagnosticsSettingsTest {

    @Test
    void defaultsAreShortTimeoutsAndTheUsualThresholds() {
        DiagnosticsSettings settings = DiagnosticsSettings.defaults();
        assertThat(settings.statementTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.lockTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(settings.limit()).isEqualTo(20);
        assertThat(settings.cacheHitTarget()).isEqualTo(0.99);
    }

    @Test
    void invalidValuesNameTheSetting() {
        assertThatThrownBy(() -> DiagnosticsSettings.builder().statementTimeout(Duration.ofNanos(10)))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("diagnostics.statementTimeout:");
        assertThatThrownBy(() -> DiagnosticsSettings.builder().limit(0))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("diagnostics.limit:");
        assertThatThrownBy(() -> DiagnosticsSettings.builder().cacheHitTarget(1.5))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("diagnostics.cacheHitTarget:");
        assertThatThrownBy(() -> DiagnosticsSettings.builder().statementTimeout(Duration.ofMillis(50)).lockTimeout(Duration.ofMillis(60)).build())
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("diagnostics.lockTimeout:");
    }

    @Test
    void cacheRatiosMeetTheTargetFromItUp() {
        assertThat(CacheHitRatios.Ratio.of(99, 1, 0.99).meetsTarget()).isTrue();
        assertThat(CacheHitRatios.Ratio.of(98, 2, 0.99).meetsTarget()).isFalse();
        assertThat(CacheHitRatios.Ratio.of(98, 2, 0.99).ratio()).contains(0.98);
        assertThat(CacheHitRatios.Ratio.of(0, 0, 0.99).ratio()).isEmpty();
        assertThat(CacheHitRatios.Ratio.of(0, 0, 0.99).meetsTarget()).isTrue();
    }

    @Test
    void rootBlockersAreTheHeadsOfTheChains() {
        Locks.Session a = session(1);
        Locks.Session b = session(2);
        Locks.Session c = session(3);
        // 3 waits for 2, 2 waits for 1: 1 heads the chain.
        Locks locks = new Locks("primary", java.util.List.of(), java.util.List.of(
                new Locks.LockWait(c, b, Duration.ofSeconds(1), "transactionid", "ShareLock", java.util.Optional.empty()),
                new Locks.LockWait(b, a, Duration.ofSeconds(2), "relation", "AccessExclusiveLock", java.util.Optional.of("t"))));
        assertThat(locks.rootBlockers()).extracting(Locks.Session::pid).containsExactly(1);
    }

    private static Locks.Session session(int pid) {
        return new Locks.Session(pid, java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.empty(), java.util.Optional.empty());
    }
}
