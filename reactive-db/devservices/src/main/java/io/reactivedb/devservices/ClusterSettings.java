package io.reactivedb.devservices;

import io.reactivedb.config.Credentials;
import io.reactivedb.config.EndpointRole;
import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.Secret;
import io.reactivedb.config.TlsSettings;
import java.util.List;
import java.util.Optional;

/**
 * The library settings that connect to a cluster's nodes: endpoints per node and user, and the
 * router settings of the application, the monitoring and the migration user. Pure: no I/O.
 */
final class ClusterSettings {

    private final DevClusterOptions options;
    private final DevNode primary;
    private final List<DevNode> replicas;
    private final DevPasswords passwords;
    private final Optional<DevTls> tls;

    ClusterSettings(DevClusterOptions options, DevNode primary, List<DevNode> replicas, DevPasswords passwords,
                    Optional<DevTls> tls) {
        this.options = options;
        this.primary = primary;
        this.replicas = replicas;
        this.passwords = passwords;
        this.tls = tls;
    }

    /** {@value DevCluster#PRIMARY_ENDPOINT} for {@code node-0}, {@code replica-n} for {@code node-n}. */
    static String endpointName(DevNode node) {
        return node.index() == 0 ? DevCluster.PRIMARY_ENDPOINT : DevCluster.REPLICA_ENDPOINT_PREFIX + node.index();
    }

    ReactiveDbSettings application() {
        ReactiveDbSettings.Builder builder = ReactiveDbSettings.builder().primary(endpoint(primary, EndpointRole.PRIMARY))
                .probeCredentials(new Credentials(options.healthUser(), passwords.health()));
        replicas.forEach(replica -> builder.addReplica(endpoint(replica, EndpointRole.REPLICA)));
        return builder.build();
    }

    ReactiveDbSettings monitoring() {
        ReactiveDbSettings app = application();
        ReactiveDbSettings.Builder builder = app.toBuilder().primary(asHealthUser(app.primary()));
        return builder.replicas(app.replicas().stream().map(this::asHealthUser).toList()).build();
    }

    ReactiveDbSettings migration() {
        return ReactiveDbSettings.builder().primary(endpoint(primary, EndpointRole.PRIMARY).toBuilder()
                .username(options.migrationUser()).password(passwords.migration()).build()).build();
    }

    EndpointSettings endpoint(DevNode node, EndpointRole role) {
        return base(node, role, options.appUser(), passwords.app()).weight(EndpointSettings.DEFAULT_WEIGHT).build();
    }

    EndpointSettings superuserEndpoint(DevNode node, EndpointRole role) {
        return base(node, role, DevCluster.SUPERUSER, passwords.superuser()).build();
    }

    private EndpointSettings asHealthUser(EndpointSettings endpoint) {
        return endpoint.toBuilder().username(options.healthUser()).password(passwords.health()).build();
    }

    private EndpointSettings.Builder base(DevNode node, EndpointRole role, String user, Secret password) {
        return EndpointSettings.builder().name(endpointName(node)).role(role)
                .host(tls.isPresent() ? DevTls.SERVER_HOST_NAME : DevCluster.HOST).port(node.port())
                .database(options.database()).username(user).password(password)
                .tls(tls.map(DevTls::verifyFull).orElse(TlsSettings.disabled()));
    }
}
