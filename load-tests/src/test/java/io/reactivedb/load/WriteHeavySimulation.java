package io.reactivedb.load;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;

/**
 * 90 % transfers between a run's accounts (contended SERIALIZABLE transactions, retried by the
 * router on serialization failures), 10 % reads. Fails on more than 1 % failed requests, a transfer
 * p99 over {@code load.writeP99Ms} (default 1000) or unbalanced balances.
 */
public class WriteHeavySimulation extends DemoSimulation {

    {
        setUp(scenario("write-heavy transfers")
                .exec(randomSwitch().on(percent(90.0).then(transfer), percent(10.0).then(readAccount)))
                .injectOpen(constantUsersPerSec(settings.rate()).during(duration()))
                .andThen(balanceCheck()))
                .protocols(protocol)
                .assertions(
                        global().failedRequests().percent().lt(1.0),
                        details(TRANSFER).responseTime().percentile(99.0).lt(Integer.getInteger("load.writeP99Ms", 1000)),
                        balanced());
    }
}
