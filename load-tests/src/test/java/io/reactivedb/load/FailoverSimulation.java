package io.reactivedb.load;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Read-heavy load while the cluster fails under it, driven by the simulation itself through
 * {@code DevClusterMain}'s control socket ({@code load.clusterEnv}): at a quarter of the run
 * replica-1 is stopped, at half the primary is restarted, at three quarters replica-1 comes back.
 * Reads move to the other replica and to the primary; writes wait in the router's retries while
 * the primary restarts. Fails when more requests fail than {@code load.maxFailures} (the ones in
 * flight at the moment of a fault; default twice the rate) or when the balances no longer add up.
 */
public class FailoverSimulation extends DemoSimulation {

    private final List<String> faults = new CopyOnWriteArrayList<>();
    private Thread script;

    {
        setUp(scenario("failover under load")
                .exec(randomSwitch().on(percent(80.0).then(readAccount), percent(20.0).then(transfer)))
                .injectOpen(constantUsersPerSec(settings.rate()).during(duration()))
                .andThen(balanceCheck()))
                .protocols(protocol)
                .assertions(
                        global().failedRequests().count().lte(settings.maxFailures()),
                        balanced());
    }

    @Override
    public void before() {
        if (settings.clusterEnv().isEmpty()) {
            throw new IllegalStateException("FailoverSimulation needs -Dload.clusterEnv=<DevClusterMain's env file>");
        }
        ClusterControl control = ClusterControl.fromEnvFile(Path.of(settings.clusterEnv()));
        control.send("status");
        super.before();
        Duration quarter = duration().dividedBy(4);
        script = new Thread(() -> {
            step(control, quarter, "stop replica-1");
            step(control, quarter, "restart primary");
            step(control, quarter, "start replica-1");
        }, "failover-script");
        script.setDaemon(true);
        script.start();
    }

    private void step(ClusterControl control, Duration wait, String command) {
        DemoClient.pause(wait);
        long started = System.nanoTime();
        String reply = control.send(command);
        faults.add(command + " (" + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms): " + reply);
        System.out.println("[FailoverSimulation] " + faults.get(faults.size() - 1));
    }

    @Override
    public void after() {
        try {
            script.join(Duration.ofSeconds(60).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (faults.size() != 3) {
            throw new IllegalStateException("the failover script ran " + faults + " of 3 steps; the run is not a failover run");
        }
    }
}
