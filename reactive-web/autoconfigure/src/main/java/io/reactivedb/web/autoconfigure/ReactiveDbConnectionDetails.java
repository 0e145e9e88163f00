package io.reactivedb.web.autoconfigure;

import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.devservices.DevServicesCluster;
import java.util.Objects;

/**
 * Where the router connects, handed to the auto-configuration as a bean, in the manner of Spring
 * Boot's {@code ConnectionDetails} and {@code @ServiceConnection}: when the context holds one, its
 * endpoints and probe login replace {@code reactive-db.url}/{@code DATABASE_URL} and the embedded
 * cluster is not started; the other settings (pool, session, timeouts) still come from the
 * properties and the environment. The database is treated as a dev-services one: it is migrated at
 * startup and production checks stay off unless {@code reactive-db.production} says otherwise.
 *
 * <p>A test that starts its own cluster (local or in containers) declares
 * {@code @Bean ReactiveDbConnectionDetails db() { return ReactiveDbConnectionDetails.of(cluster); }};
 * the test, not the context, owns and closes that cluster.
 */
public interface ReactiveDbConnectionDetails {

    /** Endpoints (primary, replicas) and probe credentials of the application's traffic. */
    ReactiveDbSettings settings();

    /** The primary with the login schema changes run as. */
    ReactiveDbSettings migrationSettings();

    /** The settings of a running dev-services cluster: the application, health and migration roles. */
    static ReactiveDbConnectionDetails of(DevServicesCluster cluster) {
        Objects.requireNonNull(cluster, "cluster");
        return new ReactiveDbConnectionDetails() {
            @Override
            public ReactiveDbSettings settings() {
                return cluster.settings();
            }

            @Override
            public ReactiveDbSettings migrationSettings() {
                return cluster.migrationSettings();
            }

            @Override
            public String toString() {
                return "ReactiveDbConnectionDetails[" + cluster + "]";
            }
        };
    }
}
