package io.reactivedb.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.config.SessionSettings;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EndpointPoolTest {

    @Test
    void lifetimesAreSpreadOverTheLastFifthSoConnectionsDoNotExpireTogether() {
        long max = 30 * 60 * 1000;
        Set<Long> distinct = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            long lifetime = EndpointPool.jitteredLifetime(new Object(), max);
            assertThat(lifetime).isBetween(max - max / 5, max);
            distinct.add(lifetime / 1000);
        }
        assertThat(distinct).hasSizeGreaterThan(100);
        Object same = new Object();
        assertThat(EndpointPool.jitteredLifetime(same, max)).isEqualTo(EndpointPool.jitteredLifetime(same, max));
    }

    @Test
    void theDriversMessageSizeIsBoundedByDefaultAndConfigurable() {
        assertThat(SessionSettings.defaults().maxMessageSize()).isEqualTo(64 * 1024 * 1024);
        assertThat(EnvironmentSettings.parse(Map.of("DB_HOST", "db", "DB_MAX_MESSAGE_SIZE", "1048576")).session().maxMessageSize())
                .isEqualTo(1048576);
        assertThatThrownBy(() -> SessionSettings.builder().maxMessageSize(10))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("DB_MAX_MESSAGE_SIZE");
    }
}
