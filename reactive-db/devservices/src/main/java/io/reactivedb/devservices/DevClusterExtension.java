package io.reactivedb.devservices;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit Jupiter extension that injects a shared cluster into constructors, lifecycle methods and
 * test methods ({@value #SHARED_REPLICAS} replicas, other options at their defaults), started on
 * first use (blocking, a few seconds) and kept in the root extension store, which closes it when
 * the test run ends.
 *
 * <ul>
 *   <li>A {@link DevServicesCluster} parameter gets the cluster of the provider the selection
 *       chooses ({@link DevClusterProvider}; {@value DevClusterProvider#ENV} decides, {@code auto}
 *       by default: containers where Testcontainers is on the test classpath and finds Docker, else
 *       the local binaries).</li>
 *   <li>A {@link DevCluster} parameter always gets the local cluster: that type exposes what only
 *       the local binaries have (folders, logs, TLS, PgBouncer). When the selection chose the local
 *       provider, both parameters get the same cluster.</li>
 * </ul>
 *
 * <p>The shared cluster must stay as it is: tests that stop, kill, restart or promote servers
 * start their own cluster with {@link DevServicesCluster#start(DevClusterOptions)} or
 * {@link DevCluster#start(DevClusterOptions)} and close it.
 *
 * @see DevClusterTest
 */
public final class DevClusterExtension implements ParameterResolver {

    /** Replicas of the shared cluster: {@value}. */
    public static final int SHARED_REPLICAS = 2;

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(DevClusterExtension.class);
    private static final String KEY = "shared-dev-cluster";
    private static final String CONTAINERS_KEY = "shared-dev-cluster-containers";

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == DevCluster.class || type == DevServicesCluster.class;
    }

    @Override
    public DevServicesCluster resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == DevCluster.class ? shared(extensionContext)
                : sharedSelected(extensionContext);
    }

    /**
     * The local cluster shared by the whole test run, started on first call. Blocks while it starts.
     * JUnit closes it ({@link AutoCloseable}) when the root context closes.
     */
    public static DevCluster shared(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(KEY,
                key -> DevCluster.start(sharedOptions(DevClusterProvider.LOCAL)), DevCluster.class);
    }

    /**
     * The cluster of the selected provider shared by the whole test run: the same as
     * {@link #shared(ExtensionContext)} when the selection chooses the local binaries.
     *
     * @throws DevServicesException when no provider can run here, naming why for each
     */
    public static DevServicesCluster sharedSelected(ExtensionContext context) {
        return sharedSelected(context, new ProviderSelection(System.getenv(), ClusterProvider.local(),
                ContainerProvider.standard()));
    }

    static DevServicesCluster sharedSelected(ExtensionContext context, ProviderSelection selection) {
        ClusterProvider provider = selection.select(sharedOptions(DevClusterProvider.AUTO));
        if (provider.kind() == DevClusterProvider.LOCAL) {
            return shared(context);
        }
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(CONTAINERS_KEY,
                key -> provider.start(sharedOptions(provider.kind())), DevServicesCluster.class);
    }

    private static DevClusterOptions sharedOptions(DevClusterProvider provider) {
        return DevClusterOptions.builder().replicas(SHARED_REPLICAS).provider(provider).build();
    }
}
