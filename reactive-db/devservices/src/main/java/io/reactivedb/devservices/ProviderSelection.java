package io.reactivedb.devservices;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link ClusterProvider} of a start. The request is the options' provider, or, when
 * they say {@link DevClusterProvider#AUTO}, the environment's {@value DevClusterProvider#ENV} when
 * set. {@code local} and {@code containers} are taken as asked, failing with the provider's reason
 * when it cannot run here; {@code auto} takes containers when they can run, else the local binaries,
 * else fails naming both reasons. Pure apart from the providers' own checks.
 */
final class ProviderSelection {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderSelection.class);

    private final Map<String, String> environment;
    private final ClusterProvider local;
    private final ClusterProvider containers;

    ProviderSelection(Map<String, String> environment, ClusterProvider local, ClusterProvider containers) {
        this.environment = Objects.requireNonNull(environment, "environment");
        this.local = local;
        this.containers = containers;
    }

    /** The real providers, with {@code environment} for {@value DevClusterProvider#ENV}. */
    static ProviderSelection standard(Map<String, String> environment) {
        return new ProviderSelection(environment, ClusterProvider.local(), ContainerProvider.standard());
    }

    /** What the options and the environment ask for, before looking at what can run. */
    DevClusterProvider requested(DevClusterOptions options) {
        if (options.provider() != DevClusterProvider.AUTO) {
            return options.provider();
        }
        String value = environment.get(DevClusterProvider.ENV);
        return value == null || value.isBlank() ? DevClusterProvider.AUTO : DevClusterProvider.parse(value);
    }

    /**
     * The provider to start {@code options} with.
     *
     * @throws DevServicesException when the requested provider cannot run here, with its reason
     *     (for {@code auto}, both providers' reasons)
     */
    ClusterProvider select(DevClusterOptions options) {
        DevClusterProvider requested = requested(options);
        String source = options.provider() == DevClusterProvider.AUTO ? DevClusterProvider.ENV + "=" + requested.value()
                : "the options' provider " + requested.value();
        switch (requested) {
            case LOCAL:
                return required(local, options, source);
            case CONTAINERS:
                return required(containers, options, source);
            default:
                Optional<String> noContainers = containers.unavailable(options);
                if (noContainers.isEmpty()) {
                    LOG.info("Dev services provider auto: containers (Testcontainers found a Docker engine)");
                    return containers;
                }
                Optional<String> noLocal = local.unavailable(options);
                if (noLocal.isEmpty()) {
                    LOG.info("Dev services provider auto: the local PostgreSQL binaries (containers not used: {})",
                            noContainers.get());
                    return local;
                }
                throw new DevServicesException("no dev services provider can run here (" + DevClusterProvider.ENV
                        + "=auto): containers: " + noContainers.get() + "; local binaries: " + noLocal.get()
                        + ". Install PostgreSQL's server binaries (or set REACTIVE_DB_PG_BIN), or give Testcontainers"
                        + " a Docker engine");
        }
    }

    private static ClusterProvider required(ClusterProvider provider, DevClusterOptions options, String source) {
        Optional<String> reason = provider.unavailable(options);
        if (reason.isPresent()) {
            throw new DevServicesException("dev services provider " + provider.kind().value() + " (" + source
                    + ") cannot run here: " + reason.get() + "; " + DevClusterProvider.ENV + "=auto uses whichever can");
        }
        return provider;
    }
}
