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
    private final ClusterNode primary;
    private final List<? extends ClusterNode> replicas;
    private final DevPasswords passwords;
    private final Optional<DevTls> tls;

    ClusterSettings(DevClusterOptions options, ClusterNode primary, List<? extends ClusterNode> replicas, DevPasswords passwords,
                    Optional<DevTls> tls) {
        this.options = options;
        this.primary = primary;
        this.replicas = replicas;
        this.passwords = passwords;
        this.tls = tls;
    }

    /** {@value DevCluster#PRIMARY_ENDPOINT} for {@code node-0}, {@code replica-n} for {@code node-n}. */
    static String endpointName(DevNode node) {
        return endpointName(node.index());
    }

    /** {@value DevCluster#PRIMARY_ENDPOINT} for index 0, {@code replica-n} for replica n. */
    static String endpointName(int index) {
        return index == 0 ? DevCluster.PRIMARY_ENDPOINT : DevCluster.REPLICA_ENDPOINT_PREFIX + index;
    }

    /** 0 for the primary, n for the n-th replica (a member of this cluster, checked by the caller). */
    private int indexOf(ClusterNode node) {
        return node.equals(primary) ? 0 : replicas.indexOf(node) + 1;
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

    EndpointSettings endpoint(ClusterNode node, EndpointRole role) {
        return base(node, role, options.appUser(), passwords.app()).weight(EndpointSettings.DEFAULT_WEIGHT).build();
    }

    EndpointSettings superuserEndpoint(ClusterNode node, EndpointRole role) {
        return base(node, role, DevCluster.SUPERUSER, passwords.superuser()).build();
    }

    private EndpointSettings asHealthUser(EndpointSettings endpoint) {
        return endpoint.toBuilder().username(options.healthUser()).password(passwords.health()).build();
    }

    private EndpointSettings.Builder base(ClusterNode node, EndpointRole role, String user, Secret password) {
        return EndpointSettings.builder().name(endpointName(indexOf(node))).role(role)
                .host(tls.isPresent() ? DevTls.SERVER_HOST_NAME : node.host()).port(node.port())
                .database(options.database()).username(user).password(password)
                .tls(tls.map(DevTls::verifyFull).orElse(TlsSettings.disabled()));
    }
}
