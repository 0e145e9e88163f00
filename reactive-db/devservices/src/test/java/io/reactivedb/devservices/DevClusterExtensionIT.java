package io.reactivedb.devservices;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

@DevClusterTest
class DevClusterExtensionIT {

    private static final AtomicReference<DevCluster> FIRST = new AtomicReference<>();

    private final DevCluster injectedInConstructor;

    DevClusterExtensionIT(DevCluster cluster) {
        this.injectedInConstructor = cluster;
    }

    @Test
    void firstMethodGetsTheSharedCluster(DevCluster cluster) {
        assertSameAsFirst(cluster);
    }

    @Test
    void secondMethodGetsTheSameCluster(DevCluster cluster) {
        assertSameAsFirst(cluster);
    }

    @Test
    void sharedClusterHasTwoStreamingReplicas(DevCluster cluster) {
        assertThat(cluster.replicas()).hasSize(DevClusterExtension.SHARED_REPLICAS);
        cluster.awaitReplicasStreaming(Duration.ofSeconds(30));
        assertThat(cluster.psql(cluster.primary(), "postgres",
                "select count(*) from pg_stat_replication where state = 'streaming'")).isEqualTo("2");
        assertThat(cluster.settings().replicas()).hasSize(2);
    }

    @Test
    void aDevServicesClusterParameterGetsTheSelectedProvidersCluster(DevServicesCluster selected, DevCluster local) {
        // Without Docker (or Testcontainers) the selection falls back to the local binaries, and then
        // both parameter types share one cluster; with Docker the containers are a cluster of their own.
        if (selected.provider() == DevClusterProvider.LOCAL) {
            assertThat(selected).isSameAs(local);
        } else {
            assertThat(selected).isNotSameAs(local);
        }
        assertThat(selected.replicas()).hasSize(DevClusterExtension.SHARED_REPLICAS);
        assertThat(selected.settings().replicas()).hasSize(DevClusterExtension.SHARED_REPLICAS);
        assertThat(selected.psql(selected.primary(), "postgres", "select pg_is_in_recovery()")).isEqualTo("f");
    }

    private void assertSameAsFirst(DevCluster cluster) {
        FIRST.compareAndSet(null, cluster);
        assertThat(cluster).isSameAs(FIRST.get()).isSameAs(injectedInConstructor);
        assertThat(cluster.primary().port()).isEqualTo(FIRST.get().primary().port());
    }
}
