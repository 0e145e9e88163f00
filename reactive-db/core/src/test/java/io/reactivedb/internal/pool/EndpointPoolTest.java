package io.reactivedb.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.EnvironmentSettings;
import io.reactivedb.config.Pooler;
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

    @Test
    void withoutAPoolerTheSessionTimeoutsAreStartupParameters() {
        SessionSettings session = SessionSettings.builder().statementTimeout(java.time.Duration.ofSeconds(5)).build();
        assertThat(EndpointPool.connectionConfiguration(ENDPOINT, session).toString()).contains("statement_timeout=5000");
        assertThat(EndpointPool.sessionTimeoutsAfterConnect(session)).isEmpty();
    }

    @Test
    void behindPgBouncerInSessionModeTheSessionTimeoutsAreSetAfterConnecting() {
        SessionSettings session = SessionSettings.builder().pooler(Pooler.PGBOUNCER_SESSION)
                .statementTimeout(java.time.Duration.ofSeconds(5)).lockTimeout(java.time.Duration.ofMillis(100)).build();
        assertThat(EndpointPool.connectionConfiguration(ENDPOINT, session).toString())
                .doesNotContain("statement_timeout").doesNotContain("lock_timeout");
        assertThat(EndpointPool.sessionTimeoutsAfterConnect(session)).contains("SET statement_timeout = 5000; SET lock_timeout = 100");
        assertThat(EndpointPool.sessionTimeoutsAfterConnect(SessionSettings.builder().pooler(Pooler.PGBOUNCER_SESSION).build())).isEmpty();
    }

    @Test
    void behindPgBouncerInTransactionModeNothingIsSentForTheSession() {
        SessionSettings session = SessionSettings.builder().pooler(Pooler.PGBOUNCER_TRANSACTION).build();
        assertThat(session.statementCacheSize()).isZero();
        assertThat(EndpointPool.connectionConfiguration(ENDPOINT, session).toString()).contains("options='{}'");
        assertThat(EndpointPool.sessionTimeoutsAfterConnect(session)).isEmpty();
    }

    private static final EndpointSettings ENDPOINT = EndpointSettings.builder().name("primary").role(EndpointRole.PRIMARY).host("db").build();
}
