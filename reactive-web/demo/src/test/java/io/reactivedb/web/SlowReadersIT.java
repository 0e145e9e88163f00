package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.routing.Endpoint;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Issue 15, slow readers: 25 clients, each from an address of its own (127.0.0.10 to .34), read the
 * NDJSON account list ({@code limit=100000}) at about 1 kB/s with backpressure, while one more
 * client times {@code GET /api/accounts/{id}}. Prints p50/p99/max of those reads, their statuses,
 * the pools' use and how many pages the streams read; asserts that every timed read was answered
 * (200) and that the streams did not run far ahead of their readers (no timing is asserted).
 */
class SlowReadersIT extends WebIT {

    private static final int READERS = 25;
    private static final Duration READING = Duration.ofSeconds(25);
    private static final String SEED_OWNER = "slow-reader-seed";


    @Autowired
    io.reactivedb.web.demo.PageReads pageReads;

    @AfterEach
    void unseed() {
        cluster().psql(cluster().primary(), cluster().database(), "DELETE FROM account WHERE owner = '" + SEED_OWNER + "'");
        // The delete is megabytes of WAL: leave the replicas caught up, as the next test finds them.
        awaitReplicasReplayed();
    }

    @Test
    void slowReadersLeaveTheReadPoolsToOtherRequests() {
        cluster().psql(cluster().primary(), cluster().database(),
                "INSERT INTO account (owner, balance) SELECT '" + SEED_OWNER + "', g FROM generate_series(1, 100000) g");
        long id = Long.parseLong(cluster().psql(cluster().primary(), cluster().database(),
                "SELECT min(id) FROM account WHERE owner = '" + SEED_OWNER + "'").trim());
        // Let the replicas replay the seed, so the listing is long there too.
        String count = "SELECT count(*) FROM account WHERE owner = '" + SEED_OWNER + "'";
        io.reactivedb.testing.Await.until("replicas to replay the seed", WAIT, () -> cluster().replicas().stream()
                .allMatch(node -> "100000".equals(cluster().psql(node, cluster().database(), count).trim())));

        long pagesBefore = pageReads.started();
        ConnectionProvider connections = ConnectionProvider.newConnection();
        Map<String, AtomicLong> readerStatuses = new ConcurrentHashMap<>();
        AtomicLong bytesRead = new AtomicLong();
        Set<String> reading = ConcurrentHashMap.newKeySet();
        Disposable.Composite readers = Disposables.composite();
        for (int i = 0; i < READERS; i++) {
            String address = "127.0.0." + (10 + i);
            HttpClient reader = HttpClient.create(connections).bindAddress(() -> new InetSocketAddress(address, 0))
                    .baseUrl("http://127.0.0.1:" + port);
            readers.add(reader.headers(h -> h.set("Accept", MediaType.APPLICATION_NDJSON_VALUE))
                    .get().uri("/api/accounts?limit=100000")
                    .response((response, body) -> {
                        readerStatuses.computeIfAbsent(String.valueOf(response.status().code()), s -> new AtomicLong()).incrementAndGet();
                        // One chunk at a time, then a pause of 1 ms per byte: about 1 kB/s, with backpressure.
                        return body.asByteArray().limitRate(1)
                                .concatMap(chunk -> {
                                    bytesRead.addAndGet(chunk.length);
                                    reading.add(address);
                                    return Mono.delay(Duration.ofMillis(chunk.length)).thenReturn(chunk.length);
                                }, 1);
                    })
                    .subscribe(n -> { }, error -> readerStatuses.computeIfAbsent(error.getClass().getSimpleName(), s -> new AtomicLong())
                            .incrementAndGet()));
        }
        try {
            // Timed once every reader is streaming: the figure is about readers that hold on, not about
            // the ramp while 25 streams open at once (their pools' connections opening then, rate-limited).
            io.reactivedb.testing.Await.until("every reader to be reading", WAIT, () -> reading.size() == READERS);
            HttpClient timer = HttpClient.create(connections).baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(35));
            List<Long> millis = Collections.synchronizedList(new ArrayList<>());
            Map<Integer, Long> statuses = new ConcurrentHashMap<>();
            List<String> pools = Collections.synchronizedList(new ArrayList<>());
            long end = System.nanoTime() + READING.toNanos();
            // One read every 100 ms while the readers read, each timed from request to full response.
            Flux.interval(Duration.ZERO, Duration.ofMillis(100))
                    .takeWhile(tick -> System.nanoTime() < end)
                    .doOnNext(tick -> {
                        if (tick % 50 == 25) {
                            pools.add(poolUse());
                        }
                    })
                    .flatMap(tick -> Mono.defer(() -> {
                        long started = System.nanoTime();
                        return timer.get().uri("/api/accounts/" + id).responseSingle((response, body) -> body.asString()
                                        .defaultIfEmpty("").thenReturn(response.status().code()))
                                .doOnNext(status -> {
                                    millis.add(Duration.ofNanos(System.nanoTime() - started).toMillis());
                                    statuses.merge(status, 1L, Long::sum);
                                });
                    }))
                    .blockLast(Duration.ofSeconds(90));
            List<Long> sorted = millis.stream().sorted().toList();
            System.out.printf("[slow-readers] %d readers at ~1 kB/s for %d s (%d kB read in all; reader replies %s)%n", READERS,
                    READING.toSeconds(), bytesRead.get() / 1024, readerStatuses);
            System.out.printf("[slow-readers] GET /api/accounts/{id}: n=%d p50=%d ms p99=%d ms max=%d ms statuses=%s%n", sorted.size(),
                    percentile(sorted, 50), percentile(sorted, 99), sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1), statuses);
            System.out.printf("[slow-readers] pools while reading: %s%n", pools);
            long pagesRead = pageReads.started() - pagesBefore;
            System.out.printf("[slow-readers] pages of 500 rows read for the readers: %d (%d kB of NDJSON read by them)%n",
                    pagesRead, bytesRead.get() / 1024);
            assertThat(statuses).as("statuses of the timed reads").containsOnlyKeys(200);
            // How far the streams ran ahead of their readers, whatever the machine's speed: about 17
            // pages each (socket buffers and Reactor Netty's 128 writes of 32 lines); 35 to 130 each
            // with the kernel's autotuned send buffers or a page per write, when this read took seconds.
            assertThat(pagesRead).as("pages read for %d readers that took %d kB", READERS, bytesRead.get() / 1024)
                    .isLessThanOrEqualTo(READERS * 30L);
        } finally {
            readers.dispose();
            connections.dispose();
        }
    }

    private String poolUse() {
        return router.endpoints().stream().map(Endpoint::name).collect(Collectors.joining(" ", "", "")) + " " + router.endpoints().stream()
                .map(e -> e.name() + " " + e.poolStatistics().acquired() + "/" + e.poolStatistics().max() + " waiting "
                        + e.poolStatistics().pending()).collect(Collectors.joining(", ", "[", "]"))
                + " health " + router.health().map(h -> h.current().map(s -> s.status().toString()).orElse("?")).orElse("-");
    }

    private static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }
}
