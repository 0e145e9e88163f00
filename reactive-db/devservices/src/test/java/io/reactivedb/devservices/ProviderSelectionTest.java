package io.reactivedb.devservices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Each branch of the provider choice, with providers whose availability is given. */
class ProviderSelectionTest {

    private static final DevClusterOptions AUTO = DevClusterOptions.defaults();
    private static final String NO_DOCKER = "Testcontainers found no Docker engine";
    private static final String NO_BINARIES = "no PostgreSQL server binaries";

    @Test
    void autoTakesContainersWhenTheyCanRun() {
        FakeProvider local = available(DevClusterProvider.LOCAL);
        FakeProvider containers = available(DevClusterProvider.CONTAINERS);

        assertThat(new ProviderSelection(Map.of(), local, containers).select(AUTO)).isSameAs(containers);
        assertThat(local.asked.get()).as("local binaries not looked up when containers can run").isZero();
    }

    @Test
    void autoFallsBackToTheLocalBinariesWithoutDocker() {
        FakeProvider local = available(DevClusterProvider.LOCAL);
        FakeProvider containers = unavailable(DevClusterProvider.CONTAINERS, NO_DOCKER);

        assertThat(new ProviderSelection(Map.of(), local, containers).select(AUTO)).isSameAs(local);
        assertThat(new ProviderSelection(Map.of(DevClusterProvider.ENV, " "), local, containers).select(AUTO))
                .as("a blank variable is auto").isSameAs(local);
    }

    @Test
    void autoWithNeitherNamesBothReasons() {
        ProviderSelection selection = new ProviderSelection(Map.of(), unavailable(DevClusterProvider.LOCAL, NO_BINARIES),
                unavailable(DevClusterProvider.CONTAINERS, NO_DOCKER));

        assertThatThrownBy(() -> selection.select(AUTO)).isInstanceOf(DevServicesException.class)
                .hasMessageContaining("REACTIVE_DB_DEV_PROVIDER=auto")
                .hasMessageContaining("containers: " + NO_DOCKER)
                .hasMessageContaining("local binaries: " + NO_BINARIES);
    }

    @Test
    void localIsTakenAsAskedEvenWhereContainersCouldRun() {
        FakeProvider local = available(DevClusterProvider.LOCAL);
        FakeProvider containers = available(DevClusterProvider.CONTAINERS);

        assertThat(new ProviderSelection(Map.of(DevClusterProvider.ENV, "LOCAL"), local, containers).select(AUTO))
                .isSameAs(local);
        assertThat(new ProviderSelection(Map.of(), local, containers)
                .select(AUTO.toBuilder().provider(DevClusterProvider.LOCAL).build())).isSameAs(local);
        assertThat(containers.asked.get()).as("containers not probed when local is asked for").isZero();
    }

    @Test
    void explicitProviderThatCannotRunFailsWithItsReasonAndWhereTheChoiceCameFrom() {
        FakeProvider local = unavailable(DevClusterProvider.LOCAL, NO_BINARIES);
        FakeProvider containers = unavailable(DevClusterProvider.CONTAINERS, NO_DOCKER);

        assertThatThrownBy(() -> new ProviderSelection(Map.of(DevClusterProvider.ENV, "containers"), available(
                DevClusterProvider.LOCAL), containers).select(AUTO))
                .isInstanceOf(DevServicesException.class)
                .hasMessageStartingWith("dev services provider containers (REACTIVE_DB_DEV_PROVIDER=containers) cannot run here: "
                        + NO_DOCKER);
        assertThatThrownBy(() -> new ProviderSelection(Map.of(), local, available(DevClusterProvider.CONTAINERS))
                .select(AUTO.toBuilder().provider(DevClusterProvider.LOCAL).build()))
                .isInstanceOf(DevServicesException.class)
                .hasMessageStartingWith("dev services provider local (the options' provider local) cannot run here: "
                        + NO_BINARIES);
    }

    @Test
    void theOptionsWinOverTheEnvironment() {
        FakeProvider local = available(DevClusterProvider.LOCAL);
        FakeProvider containers = available(DevClusterProvider.CONTAINERS);
        ProviderSelection selection = new ProviderSelection(Map.of(DevClusterProvider.ENV, "local"), local, containers);
        DevClusterOptions wantContainers = AUTO.toBuilder().provider(DevClusterProvider.CONTAINERS).build();

        assertThat(selection.requested(wantContainers)).isEqualTo(DevClusterProvider.CONTAINERS);
        assertThat(selection.select(wantContainers)).isSameAs(containers);
        assertThat(selection.requested(AUTO)).isEqualTo(DevClusterProvider.LOCAL);
    }

    @Test
    void anUnknownValueOfTheVariableIsAConfigurationError() {
        ProviderSelection selection = new ProviderSelection(Map.of(DevClusterProvider.ENV, "docker"),
                available(DevClusterProvider.LOCAL), available(DevClusterProvider.CONTAINERS));

        assertThatThrownBy(() -> selection.select(AUTO)).isInstanceOfSatisfying(ConfigurationException.class,
                e -> assertThat(e.setting()).isEqualTo("REACTIVE_DB_DEV_PROVIDER"))
                .hasMessageContaining("must be auto, local or containers but was 'docker'");
    }

    @Test
    void containerCheckRunsTestcontainersThenDockerInThatOrder() {
        AtomicInteger dockerChecks = new AtomicInteger();
        ContainerProvider noTestcontainers = new ContainerProvider(() -> false, () -> {
            dockerChecks.incrementAndGet();
            return true;
        });
        assertThat(noTestcontainers.unavailable(AUTO)).hasValueSatisfying(reason -> assertThat(reason)
                .startsWith("Testcontainers is not on the classpath").contains("org.testcontainers:testcontainers"));
        assertThat(dockerChecks.get()).as("Docker not asked for without Testcontainers").isZero();

        assertThat(new ContainerProvider(() -> true, () -> false).unavailable(AUTO))
                .hasValueSatisfying(reason -> assertThat(reason).startsWith(NO_DOCKER));
        assertThat(new ContainerProvider(() -> true, () -> true).unavailable(AUTO)).isEmpty();
        assertThat(new ContainerProvider(() -> true, () -> true).kind()).isEqualTo(DevClusterProvider.CONTAINERS);
    }

    @Test
    void containersRefuseTlsAndPgBouncerSoAutoPicksTheLocalClusterForThem() {
        ContainerProvider containers = new ContainerProvider(() -> true, () -> true);
        DevClusterOptions tls = AUTO.toBuilder().tls(true).build();

        assertThat(containers.unavailable(tls)).hasValueSatisfying(reason -> assertThat(reason).contains("tls"));
        FakeProvider local = available(DevClusterProvider.LOCAL);
        assertThat(new ProviderSelection(Map.of(), local, containers).select(tls)).isSameAs(local);
    }

    @Test
    void testcontainersIsOnThisModulesTestClasspath() {
        // The optional dependency is on devservices' own classpath (not on its users'): the lookup finds it.
        assertThat(ContainerProvider.testcontainersOnClasspath()).isTrue();
    }

    @Test
    void devClusterStartRefusesContainersBeforeLookingForBinaries() {
        assertThatThrownBy(() -> DevCluster.start(AUTO.toBuilder().provider(DevClusterProvider.CONTAINERS).build()))
                .isInstanceOf(DevServicesException.class)
                .hasMessageContaining("DevServicesCluster.start(options)");
    }

    private static FakeProvider available(DevClusterProvider kind) {
        return new FakeProvider(kind, Optional.empty());
    }

    private static FakeProvider unavailable(DevClusterProvider kind, String reason) {
        return new FakeProvider(kind, Optional.of(reason));
    }

    /** A provider that only answers whether it can run; starting it is not part of the selection. */
    private static final class FakeProvider implements ClusterProvider {
        private final DevClusterProvider kind;
        private final Optional<String> reason;
        private final AtomicInteger asked = new AtomicInteger();

        FakeProvider(DevClusterProvider kind, Optional<String> reason) {
            this.kind = kind;
            this.reason = reason;
        }

        @Override
        public DevClusterProvider kind() {
            return kind;
        }

        @Override
        public Optional<String> unavailable(DevClusterOptions options) {
            asked.incrementAndGet();
            return reason;
        }

        @Override
        public DevServicesCluster start(DevClusterOptions options) {
            throw new AssertionError("the selection must not start a cluster");
        }
    }
}
