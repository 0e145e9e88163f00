package io.reactivedb.load;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;

/**
 * 90 % primary-key reads (replicas), 10 % transfers (SERIALIZABLE on the primary). Fails when more
 * than 1 % of requests fail, when a p99 misses its limit ({@code load.readP99Ms}, default 250;
 * {@code load.writeP99Ms}, default 1000) or when the balances no longer add up.
 */
public class ReadHeavySimulation extends DemoSimulation {

    {
        setUp(scenario("read-heavy 90/10")
                .exec(randomSwitch().on(percent(90.0).then(readAccount), percent(10.0).then(transfer)))
                .injectOpen(constantUsersPerSec(settings.rate()).during(duration()))
                .andThen(balanceCheck()))
                .protocols(protocol)
                .assertions(
                        global().failedRequests().percent().lt(1.0),
                        details(GET_ACCOUNT).responseTime().percentile(99.0).lt(Integer.getInteger("load.readP99Ms", 250)),
                        details(TRANSFER).responseTime().percentile(99.0).lt(Integer.getInteger("load.writeP99Ms", 1000)),
                        balanced());
    }
}
