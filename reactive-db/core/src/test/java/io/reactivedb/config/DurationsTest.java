package io.reactivedb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "30s        | PT30S",
            "500ms      | PT0.5S",
            "2m         | PT2M",
            "1h         | PT1H",
            "1d         | PT24H",
            "1.5s       | PT1.5S",
            "0.25m      | PT15S",
            "30 s       | PT30S",
            "'  45 ms ' | PT0.045S",
            "PT30S      | PT30S",
            "pt1m30s    | PT1M30S",
            "P1DT2H     | PT26H",
            "+PT5S      | PT5S",
            "0s         | PT0S",
            "0          | PT0S",
            "007        | PT7S",
            "30         | PT30S",
    })
    void acceptedForms(String text, String expected) {
        assertThat(Durations.parse("X", text, ChronoUnit.SECONDS)).isEqualTo(Duration.parse(expected));
    }

    @Test
    void plainNumbersUseTheGivenUnit() {
        assertThat(Durations.parse("X", "250", ChronoUnit.MILLIS)).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("X", "3", ChronoUnit.MINUTES)).isEqualTo(Duration.ofMinutes(3));
        assertThat(Durations.parse("X", "2", ChronoUnit.DAYS)).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("X", "1.5s", ChronoUnit.MILLIS)).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void largestValuesThatFit() {
        assertThat(Durations.parse("X", String.valueOf(Long.MAX_VALUE), ChronoUnit.SECONDS))
                .isEqualTo(Duration.ofSeconds(Long.MAX_VALUE));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "   ", "abc", "-5", "-5s", "-PT5S", "PT-5S", "5 sec", "5S", "1M", "250us", "5ns", "1w", "1y",
            "1.5", ".5s", "1.s", "1,5s", "s", "5s5", "P1Y", "P1M", "PT", "30s 10s", "0x10", "1e3",
            "99999999999999999999999", "9999999999999999999d", "106751991167301d", "PT9999999999999999999H"})
    void rejectedForms(String text) {
        assertThatThrownBy(() -> Durations.parse("DB_POOL_TIMEOUT", text, ChronoUnit.SECONDS))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.setting()).isEqualTo("DB_POOL_TIMEOUT");
                    assertThat(e.getMessage()).startsWith("DB_POOL_TIMEOUT: ")
                            .contains("plain integer in seconds", "500ms", "1.5s", "PT30S")
                            .contains("but was '" + text + "'");
                });
    }

    @Test
    void negativeIsNamedAsSuch() {
        assertThatThrownBy(() -> Durations.parse("DB_LOCK_TIMEOUT", "-1", ChronoUnit.MILLIS))
                .hasMessageStartingWith("DB_LOCK_TIMEOUT: must not be negative")
                .hasMessageContaining("plain integer in milliseconds");
    }

    @Test
    void overflowIsNamedAsSuch() {
        assertThatThrownBy(() -> Durations.parse("X", "99999999999999999999999d", ChronoUnit.SECONDS))
                .hasMessageStartingWith("X: is too large");
    }

    @Test
    void longValuesAreShortenedInTheMessage() {
        String text = "x".repeat(500);
        assertThatThrownBy(() -> Durations.parse("X", text, ChronoUnit.SECONDS))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(text).contains("x".repeat(64) + "…"));
    }

    @Test
    void unitsLongerThanADayAreAProgrammingError() {
        assertThatThrownBy(() -> Durations.parse("X", "1", ChronoUnit.MONTHS))
                .isInstanceOf(IllegalArgumentException.class)
                .isNotInstanceOf(ConfigurationException.class);
    }
}
