package io.reactivedb.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.feed;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What every simulation of the demo service shares: its own accounts (an owner name unique to the
 * run, so runs against the same database do not disturb each other's sums), the requests, and the
 * correctness check that ends every run: after the load, the owner's balances still add up to what
 * they were before it, whatever was transferred, retried or failed in between.
 */
abstract class DemoSimulation extends Simulation {

    static final String GET_ACCOUNT = "get account";
    static final String TRANSFER = "transfer";
    static final String LIST = "list accounts (ndjson)";
    static final String BALANCE_CHECK = "balance check";
    static final String NDJSON = "application/x-ndjson";

    protected final LoadSettings settings = LoadSettings.fromSystemProperties();
    protected final String owner = "load-" + Long.toHexString(System.currentTimeMillis()) + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
    private final DemoClient client = new DemoClient(settings.baseUrl());
    private volatile List<Long> accounts = List.of();
    private volatile long openingSum;

    protected final HttpProtocolBuilder protocol = http.baseUrl(settings.baseUrl())
            .acceptHeader("application/json")
            .contentTypeHeader("application/json")
            // Gatling's default warm-up request goes to the internet; these machines have none.
            .disableWarmUp();

    /** A random pair of this run's accounts and an amount; ids are known only once {@link #before()} has run. */
    private final Iterator<Map<String, Object>> pairs = new Iterator<>() {
        @Override
        public boolean hasNext() {
            return true;
        }

        @Override
        public Map<String, Object> next() {
            List<Long> ids = accounts;
            ThreadLocalRandom random = ThreadLocalRandom.current();
            int from = random.nextInt(ids.size());
            int to = (from + 1 + random.nextInt(ids.size() - 1)) % ids.size();
            return Map.of("from", ids.get(from), "to", ids.get(to), "amount", random.nextInt(1, 101));
        }
    };

    protected final ChainBuilder readAccount = feed(pairs)
            .exec(http(GET_ACCOUNT).get("/api/accounts/#{from}").check(status().is(200)));

    /** 409 is a refused transfer (a constraint), a correct answer that moves no money. */
    protected final ChainBuilder transfer = feed(pairs)
            .exec(http(TRANSFER).post("/api/transfers")
                    .body(StringBody("{\"from\":#{from},\"to\":#{to},\"amount\":#{amount}}"))
                    .check(status().in(201, 409)));

    protected final ChainBuilder listAccounts = exec(http(LIST)
            .get("/api/accounts?owner=" + owner + "&limit=500")
            .header("Accept", NDJSON)
            .check(status().is(200)));

    /** One request after the load: the owner's accounts, all of them, with the opening sum. */
    protected PopulationBuilder balanceCheck() {
        return scenario(BALANCE_CHECK)
                .exec(http(BALANCE_CHECK).get("/api/accounts?owner=" + owner + "&limit=100000")
                        .header("Accept", NDJSON)
                        .check(status().is(200), bodyString().transform(this::verdict).is("balanced")))
                .injectOpen(atOnceUsers(1));
    }

    /** The balance check passed exactly once: part of every simulation's assertions. */
    protected static Assertion balanced() {
        return details(BALANCE_CHECK).successfulRequests().count().is(1L);
    }

    private String verdict(String ndjson) {
        DemoClient.Totals totals = DemoClient.Totals.of(ndjson);
        if (totals.accounts() == accounts.size() && totals.balance() == openingSum) {
            return "balanced";
        }
        return "unbalanced: " + totals.accounts() + " accounts summing to " + totals.balance() + ", expected "
                + accounts.size() + " summing to " + openingSum;
    }

    protected Duration duration() {
        return settings.duration();
    }

    @Override
    public void before() {
        accounts = List.copyOf(client.createAccounts(owner, settings.accounts()));
        // The listing is a replica read: wait until a replica shows every account, then record the sum.
        openingSum = client.awaitListed(owner, accounts.size(), Duration.ofSeconds(30)).balance();
        System.out.println("[" + getClass().getSimpleName() + "] " + accounts.size() + " accounts of " + owner
                + ", balances summing to " + openingSum + "; " + settings.rate() + " users/s for " + settings.duration().toSeconds() + " s");
    }
}
