package io.reactivedb.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Set-up and checks of the simulations, outside the measured load: creates the accounts a run
 * works on and sums balances through the demo's own streaming list. Blocking, on Gatling's
 * {@code before}/{@code after} thread only.
 */
final class DemoClient {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");
    private static final Pattern BALANCE = Pattern.compile("\"balance\"\\s*:\\s*(-?\\d+)");
    static final long OPENING_BALANCE = 1_000_000;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;

    DemoClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** Creates {@code count} accounts for owner {@code owner} and returns their ids. */
    List<Long> createAccounts(String owner, int count) {
        List<Long> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String body = "{\"owner\":\"" + owner + "\",\"balance\":" + OPENING_BALANCE + "}";
            HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/accounts"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
            if (response.statusCode() != 201) {
                throw new IllegalStateException("creating an account answered " + response.statusCode() + ": " + response.body());
            }
            Matcher id = ID.matcher(response.body());
            if (!id.find()) {
                throw new IllegalStateException("no id in " + response.body());
            }
            ids.add(Long.parseLong(id.group(1)));
        }
        return ids;
    }

    /** The owner's accounts as the demo lists them (a replica read): how many, and their balances' sum. */
    Totals totals(String owner) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/accounts?owner=" + owner + "&limit=100000"))
                .header("Accept", "application/x-ndjson").GET().build());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("listing accounts answered " + response.statusCode() + ": " + response.body());
        }
        return Totals.of(response.body());
    }

    /** Waits (bounded) until a replica lists all {@code count} accounts of {@code owner}. */
    Totals awaitListed(String owner, int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Totals totals = totals(owner);
        while (totals.accounts() < count && System.nanoTime() < deadline) {
            pause(Duration.ofMillis(100));
            totals = totals(owner);
        }
        if (totals.accounts() < count) {
            throw new IllegalStateException("only " + totals.accounts() + " of " + count + " accounts listed after " + timeout);
        }
        return totals;
    }

    /** Counts and sums an NDJSON listing of accounts. */
    record Totals(int accounts, long balance) {
        static Totals of(String ndjson) {
            int accounts = 0;
            long sum = 0;
            for (String line : ndjson.split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                Matcher balance = BALANCE.matcher(line);
                if (!balance.find()) {
                    throw new IllegalStateException("no balance in " + line);
                }
                accounts++;
                sum += Long.parseLong(balance.group(1));
            }
            return new Totals(accounts, sum);
        }
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(request.method() + " " + request.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
