package io.reactivedb.load;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;

/**
 * 60 % reads, 25 % transfers, 15 % streamed NDJSON listings of a run's accounts (up to 500 rows,
 * backpressured end to end). Fails on more than 1 % failed requests, a p99 over its limit
 * ({@code load.readP99Ms} 250, {@code load.writeP99Ms} 1000, {@code load.listP99Ms} 1000) or
 * unbalanced balances.
 */
public class MixedStreamingSimulation extends DemoSimulation {

    {
        setUp(scenario("mixed with streaming lists")
                .exec(randomSwitch().on(percent(60.0).then(readAccount), percent(25.0).then(transfer), percent(15.0).then(listAccounts)))
                .injectOpen(constantUsersPerSec(settings.rate()).during(duration()))
                .andThen(balanceCheck()))
                .protocols(protocol)
                .assertions(
                        global().failedRequests().percent().lt(1.0),
                        details(GET_ACCOUNT).responseTime().percentile(99.0).lt(Integer.getInteger("load.readP99Ms", 250)),
                        details(TRANSFER).responseTime().percentile(99.0).lt(Integer.getInteger("load.writeP99Ms", 1000)),
                        details(LIST).responseTime().percentile(99.0).lt(Integer.getInteger("load.listP99Ms", 1000)),
                        balanced());
    }
}
