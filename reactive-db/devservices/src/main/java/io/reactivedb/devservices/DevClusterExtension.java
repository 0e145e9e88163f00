package io.reactivedb.devservices;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit Jupiter extension that injects a {@link DevCluster} into constructors, lifecycle methods
 * and test methods. Every injection in a test run receives the same cluster ({@value #SHARED_REPLICAS}
 * replicas, other options at their defaults), started on first use (blocking, a few seconds) and
 * kept in the root extension store, which closes it when the test run ends.
 *
 * <p>The shared cluster must stay as it is: tests that stop, kill, restart or promote servers
 * start their own cluster with {@link DevCluster#start(DevClusterOptions)} and close it.
 *
 * @see DevClusterTest
 */
public final class DevClusterExtension implements ParameterResolver {

    /** Replicas of the shared cluster: {@value}. */
    public static final int SHARED_REPLICAS = 2;

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(DevClusterExtension.class);
    private static final String KEY = "shared-dev-cluster";

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == DevCluster.class;
    }

    @Override
    public DevCluster resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return shared(extensionContext);
    }

    /**
     * The cluster shared by the whole test run, started on first call. Blocks while it starts.
     * JUnit closes it ({@link AutoCloseable}) when the root context closes.
     */
    public static DevCluster shared(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(KEY,
                key -> DevCluster.start(DevClusterOptions.builder().replicas(SHARED_REPLICAS).build()),
                DevCluster.class);
    }
}
