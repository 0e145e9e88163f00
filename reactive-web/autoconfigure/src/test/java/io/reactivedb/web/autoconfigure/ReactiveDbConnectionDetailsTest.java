package io.reactivedb.web.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.Credentials;
import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.Secret;
import io.reactivedb.web.autoconfigure.ReactiveDbAutoConfiguration.ResolvedDatabase;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** Connection details handed in as a bean replace the configured endpoints and the embedded cluster. */
class ReactiveDbConnectionDetailsTest {

    private static final ReactiveDbConnectionDetails HANDED = new ReactiveDbConnectionDetails() {
        @Override
        public ReactiveDbSettings settings() {
            return ReactiveDbSettings.builder().primary(endpoint("primary", EndpointRole.PRIMARY, 32768, "app"))
                    .addReplica(endpoint("replica-1", EndpointRole.REPLICA, 32769, "app"))
                    .probeCredentials(new Credentials("app_health", Secret.of("health-pw"))).build();
        }

        @Override
        public ReactiveDbSettings migrationSettings() {
            return ReactiveDbSettings.builder().primary(endpoint("primary", EndpointRole.PRIMARY, 32768, "app_migrator")).build();
        }
    };

    private static EndpointSettings endpoint(String name, EndpointRole role, int port, String user) {
        return EndpointSettings.builder().name(name).role(role).host("localhost").port(port).database("app")
                .username(user).password(Secret.of(user + "-pw")).build();
    }

    private static ObjectProvider<ReactiveDbConnectionDetails> beans(Map<String, Object> beans) {
        return new StaticListableBeanFactory(beans).getBeanProvider(ReactiveDbConnectionDetails.class);
    }

    @Test
    void handedDetailsWinOverTheConfiguredUrlAndKeepTheOtherSettings() {
        PropertySettingSource source = PropertySettingSource.of(new Binder(new MapConfigurationPropertySource(Map.of(
                "reactive-db.url", "postgresql://app@db.internal:5432/app", "reactive-db.pool.size", "7"))), Map.of());
        ReactiveDbAutoConfiguration configuration = new ReactiveDbAutoConfiguration();
        ObjectProvider<ReactiveDbConnectionDetails> details = beans(Map.of("db", HANDED));

        EmbeddedDatabase embedded = configuration.reactiveDbEmbeddedDatabase(new ReactiveDbProperties(), source, details);
        ResolvedDatabase resolved = configuration.reactiveDbResolvedDatabase(new ReactiveDbProperties(), source, embedded, details);

        assertThat(embedded.isEmbedded()).as("no cluster started when details are handed in").isFalse();
        assertThat(resolved.settings().primary().port()).isEqualTo(32768);
        assertThat(resolved.settings().replicas()).extracting(EndpointSettings::name).containsExactly("replica-1");
        assertThat(resolved.settings().probeCredentials()).map(Credentials::username).contains("app_health");
        assertThat(resolved.settings().pool().maxSize()).as("pool settings still from the properties").isEqualTo(7);
        assertThat(resolved.migrationSettings().primary().username()).isEqualTo("app_migrator");
        assertThat(resolved.embedded()).as("a dev-services database: migrated at startup").isTrue();
        assertThat(resolved.production()).isFalse();
    }

    @Test
    void withoutDetailsAConfiguredUrlIsUsedAsBefore() {
        PropertySettingSource source = PropertySettingSource.of(new Binder(new MapConfigurationPropertySource(Map.of(
                "reactive-db.url", "postgresql://app@db.internal:5432/app", "reactive-db.password", "pw"))), Map.of());
        ReactiveDbProperties properties = new ReactiveDbProperties();
        properties.setProduction(false);
        ResolvedDatabase resolved = new ReactiveDbAutoConfiguration().reactiveDbResolvedDatabase(properties,
                source, new EmbeddedDatabase(Optional.empty(), Optional.empty()), beans(Map.of()));

        assertThat(resolved.settings().primary().host()).isEqualTo("db.internal");
        assertThat(resolved.embedded()).isFalse();
    }
}
