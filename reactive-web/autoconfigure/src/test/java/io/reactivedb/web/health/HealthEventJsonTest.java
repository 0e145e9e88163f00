package io.reactivedb.web.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.health.HealthEvent;
import io.reactivedb.health.ObservedRole;
import io.reactivedb.pool.PoolStatistics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Every kind of health event as the stream writes it (Jackson 3, as Spring Boot configures it by default). */
class HealthEventJsonTest {

    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void eventsWithOptionalsDurationsAndPoolStatisticsAreWrittenAsPlainJson() {
        assertThat(json.writeValueAsString(new HealthEvent.LagExceeded(AT, "replica-1", OptionalLong.of(4096), Optional.of(Duration.ofSeconds(12)))))
                .contains("\"endpoint\":\"replica-1\"", "\"lagBytes\":4096", "\"at\":\"2026-01-01T00:00:00Z\"")
                .doesNotContain("present");
        assertThat(json.writeValueAsString(new HealthEvent.WriterChanged(AT, Optional.of("primary"), Optional.empty())))
                .contains("\"from\":\"primary\"", "\"to\":null");
        assertThat(json.writeValueAsString(new HealthEvent.PoolExhausted(AT, "primary", new PoolStatistics(10, 0, 3, 10, 10, 1))))
                .contains("\"pending\":3", "\"acquireTimeouts\":1");
        assertThat(json.writeValueAsString(new HealthEvent.EndpointUp(AT, "replica-2", ObservedRole.REPLICA))).contains("\"role\":\"REPLICA\"");
        assertThat(json.writeValueAsString(new HealthEvent.SplitBrain(AT, List.of("primary", "replica-1"), Optional.of("primary"))))
                .contains("\"notInRecovery\":[\"primary\",\"replica-1\"]");
    }
}
