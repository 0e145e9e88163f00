package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.devservices.DevNode;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.testing.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The status page ({@code /}, {@code /status}) in a real browser: headless Chromium (Debian's
 * {@code chromium}, {@code bin/ensure-chromium}) driven over the Chrome DevTools Protocol with the
 * JDK's WebSocket client. One tab is the admin (Basic credentials on every request, so the stream
 * carries details), one an anonymous visitor (the status only). A replica is stopped and started
 * again; the DOM is polled by state against deadlines. Screenshots go to
 * {@code target/status-page*.png}. Skips, saying why, where no Chromium is installed.
 */
class StatusPageIT extends WebIT {

    /** WebIT's {@code reactive-db.health.interval}. */
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
    /** The page must show a stopped replica within one probe interval and a second. */
    private static final Duration SHOWS_STOP_WITHIN = PROBE_INTERVAL.plusSeconds(1);
    private static final Duration SHOWS_START_WITHIN = Duration.ofSeconds(10);
    /** The page's refresh period (5 s) and a probe interval and a second. */
    private static final Duration FIGURES_REFRESHED_WITHIN = Duration.ofSeconds(5).plus(PROBE_INTERVAL).plusSeconds(1);
    private static final Duration BROWSER_WAIT = Duration.ofSeconds(15);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** What the test reads of the page: only what the page shows (text and the data-* hooks). */
    private static final String READ_PAGE = """
            (() => ({
              status: document.getElementById('overall').dataset.status,
              overall: document.getElementById('overall').textContent,
              stream: document.getElementById('stream').textContent,
              detailsHidden: document.getElementById('hidden').hidden,
              endpoints: [...document.querySelectorAll('#endpoints tbody tr')].map(tr => ({
                name: tr.dataset.endpoint,
                role: tr.querySelector('[data-field=role]').textContent,
                state: tr.querySelector('[data-field=state]').textContent,
                lag: tr.querySelector('[data-field=lag]').textContent,
                pool: tr.querySelector('[data-field=pool]').textContent,
                breaker: tr.querySelector('[data-field=breaker]').textContent,
                checked: tr.querySelector('[data-field=checked]').textContent,
              })),
              events: [...document.querySelectorAll('#events li')].map(li => li.dataset.kind + ':' + li.textContent),
            }))()
            """;


    @Test
    void thePageAndItsFilesArePublicWithAContentSecurityPolicy() {
        for (String path : List.of("/", "/status")) {
            client.get().uri(path).exchange()
                    .expectStatus().isOk()
                    .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                    .expectHeader().valueMatches("Content-Security-Policy", ".*default-src 'none'.*script-src 'self'.*")
                    .expectBody(String.class).value(html -> assertThat(html).contains("status/status.js", "id=\"overall\""));
        }
        client.get().uri("/status/status.js").exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith("text/javascript")
                .expectBody(String.class).value(js -> assertThat(js).contains("new EventSource(").doesNotContain("innerHTML"));
        client.get().uri("/status/status.css").exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith("text/css");
        client.get().uri("/status/index.html").exchange().expectStatus().isNotFound();
        // The page changes nothing about what anonymous callers see of the health.
        client.get().uri("/health/database").exchange().expectStatus().isOk()
                .expectBody(String.class).value(body -> assertThat(body).doesNotContain("endpoints"));
    }

    @Test
    void theBrowserShowsAReplicaStopWithinOneProbeIntervalAndASecondAndItsReturn() throws Exception {
        Optional<Path> chromium = chromium();
        Assumptions.assumeTrue(chromium.isPresent(),
                "Chromium is not installed (bin/ensure-chromium installs Debian's chromium package): skipping the browser test");
        Await.until("a healthy cluster before the test", WAIT, () -> router.health().orElseThrow().current()
                .map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));
        String base = "http://127.0.0.1:" + port;
        DevNode replica = cluster().replicas().get(1);
        String stopped = "replica-2";
        long testStart = System.nanoTime();
        try (Browser browser = Browser.start(chromium.get(), Path.of("target"))) {
            Tab admin = browser.open();
            String basic = Base64.getEncoder().encodeToString((ADMIN + ":" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8));
            admin.call("Network.enable", Map.of());
            admin.call("Network.setExtraHTTPHeaders", Map.of("headers", Map.of("Authorization", "Basic " + basic)));
            admin.navigate(base + "/status");
            Tab anonymous = browser.open();
            anonymous.navigate(base + "/");

            JsonNode first = admin.until("every endpoint UP on the admin's page", BROWSER_WAIT,
                    page -> "HEALTHY".equals(page.path("status").asString()) && page.path("endpoints").size() == 3
                            && stream(page.path("endpoints")).allMatch(e -> "UP".equals(e.path("state").asString())));
            assertThat(first.path("detailsHidden").asBoolean()).isTrue();
            assertThat(first.path("stream").asString()).isEqualTo("stream: live");
            assertThat(roles(first)).containsExactly(Map.entry("primary", "primary"), Map.entry("replica-1", "replica"),
                    Map.entry("replica-2", "replica"));
            assertThat(stream(first.path("endpoints")).map(e -> e.path("breaker").asString())).containsOnly("CLOSED");
            assertThat(stream(first.path("endpoints")).map(e -> e.path("pool").asString())).allMatch(p -> p.matches("\\d+ / 10.*"));
            JsonNode visitor = anonymous.until("the status on the anonymous page", BROWSER_WAIT,
                    page -> "HEALTHY".equals(page.path("status").asString()));
            assertThat(visitor.path("detailsHidden").asBoolean()).as("the notice that details need authentication").isFalse();
            assertThat(visitor.path("endpoints").size()).isZero();
            admin.screenshot(Path.of("target/status-page-healthy.png"));

            long stopCalled = System.nanoTime();
            cluster().stop(replica);
            long stopReturned = System.nanoTime();
            Predicate<JsonNode> replicaDown = page -> endpoint(page, stopped).map(e -> "DOWN".equals(e.path("state").asString())).orElse(false)
                    && !"HEALTHY".equals(page.path("status").asString());
            JsonNode down = admin.until(stopped + " DOWN and the status changed on the admin's page", SHOWS_STOP_WITHIN, replicaDown);
            long adminSaw = System.nanoTime();
            JsonNode anonymousDown = anonymous.until("the status changed on the anonymous page", SHOWS_STOP_WITHIN,
                    page -> !"HEALTHY".equals(page.path("status").asString()));
            long anonymousSaw = System.nanoTime();
            System.out.printf("StatusPageIT: replica stop took %d ms; the admin's page showed %s DOWN and %s %d ms after the stop "
                            + "returned (%d ms after it was called); the anonymous page %s %d ms after it returned%n",
                    millis(stopCalled, stopReturned), stopped, down.path("status").asString(), millis(stopReturned, adminSaw),
                    millis(stopCalled, adminSaw), anonymousDown.path("status").asString(), millis(stopReturned, anonymousSaw));
            assertThat(down.path("status").asString()).isEqualTo("DEGRADED");
            assertThat(endpoint(down, "primary").orElseThrow().path("state").asString()).isEqualTo("UP");
            assertThat(endpoint(down, "replica-1").orElseThrow().path("state").asString()).isEqualTo("UP");
            assertThat(endpoint(down, stopped).orElseThrow().path("lag").asString()).as("no lag figure for a server that is down").isEqualTo("–");
            assertThat(stream(down.path("events")).map(JsonNode::asString))
                    .anyMatch(e -> e.startsWith("endpoint-down:") && e.contains(stopped))
                    .anyMatch(e -> e.startsWith("status-changed:") && e.contains("HEALTHY → DEGRADED"));
            assertThat(anonymousDown.path("endpoints").size()).isZero();
            assertThat(stream(anonymousDown.path("events")).map(JsonNode::asString))
                    .allMatch(e -> e.startsWith("status-changed:"), "anonymous visitors get status changes only")
                    .anyMatch(e -> e.contains("HEALTHY → DEGRADED"));
            admin.screenshot(Path.of("target/status-page-replica-down.png"));

            long startCalled = System.nanoTime();
            cluster().start(replica);
            long startReturned = System.nanoTime();
            JsonNode back = admin.until(stopped + " UP again and HEALTHY on the admin's page", SHOWS_START_WITHIN,
                    page -> "HEALTHY".equals(page.path("status").asString())
                            && stream(page.path("endpoints")).allMatch(e -> "UP".equals(e.path("state").asString())));
            long adminSawUp = System.nanoTime();
            anonymous.until("HEALTHY again on the anonymous page", SHOWS_START_WITHIN, page -> "HEALTHY".equals(page.path("status").asString()));
            System.out.printf("StatusPageIT: replica start took %d ms; the admin's page showed it UP and HEALTHY %d ms after it returned%n",
                    millis(startCalled, startReturned), millis(startReturned, adminSawUp));
            assertThat(stream(back.path("events")).map(JsonNode::asString)).anyMatch(e -> e.startsWith("endpoint-up:") && e.contains(stopped));

            // The figures between events: the page re-reads /health/database every 5 s while it is visible.
            admin.call("Page.bringToFront", Map.of());
            String checked = endpoint(back, "primary").orElseThrow().path("checked").asString();
            JsonNode refreshed = admin.until("a newer probe round's figures on the admin's page", FIGURES_REFRESHED_WITHIN,
                    page -> endpoint(page, "primary").map(e -> !checked.equals(e.path("checked").asString())).orElse(false));
            assertThat(endpoint(refreshed, "replica-1").orElseThrow().path("lag").asString()).matches("\\d+ ms, \\d.*");
            admin.screenshot(Path.of("target/status-page.png"));
            assertThat(browser.problems()).as("script errors and Content-Security-Policy reports").isEmpty();
        } finally {
            if (!cluster().isRunning(replica)) {
                cluster().start(replica);
            }
            cluster().awaitReplicasStreaming(WAIT);
            Await.until("the router to see every server healthy again", WAIT, () -> router.health().orElseThrow().current()
                    .map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - testStart)).isLessThan(Duration.ofSeconds(60));
    }

    private static Optional<Path> chromium() {
        Stream<Path> onPath = Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).filter(dir -> !dir.isEmpty())
                .flatMap(dir -> Stream.of(Path.of(dir, "chromium"), Path.of(dir, "chromium-browser")));
        return Stream.concat(onPath, Stream.of(Path.of("/usr/bin/chromium"))).filter(Files::isExecutable).findFirst();
    }

    private static Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> nodes = new ArrayList<>();
        array.forEach(nodes::add);
        return nodes.stream();
    }

    private static Optional<JsonNode> endpoint(JsonNode page, String name) {
        return stream(page.path("endpoints")).filter(e -> name.equals(e.path("name").asString())).findFirst();
    }

    private static List<Map.Entry<String, String>> roles(JsonNode page) {
        return stream(page.path("endpoints")).map(e -> Map.entry(e.path("name").asString(), e.path("role").asString())).toList();
    }

    private static long millis(long fromNanos, long toNanos) {
        return TimeUnit.NANOSECONDS.toMillis(toNanos - fromNanos);
    }

    /**
     * Headless Chromium with its DevTools port on a free port (read from {@code DevToolsActivePort}
     * in its fresh profile); its output goes to {@code target/chromium.log}. Closing kills the
     * whole process tree and deletes the profile.
     */
    static final class Browser implements AutoCloseable {

        private final Process process;
        private final Path profile;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final String devtools;
        private final List<Tab> tabs = new ArrayList<>();

        private Browser(Process process, Path profile, String devtools) {
            this.process = process;
            this.profile = profile;
            this.devtools = devtools;
        }

        static Browser start(Path chromium, Path target) throws IOException, InterruptedException {
            Files.createDirectories(target);
            Path profile = Files.createTempDirectory("status-page-chromium");
            Process process = new ProcessBuilder(chromium.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--user-data-dir=" + profile, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                    "--window-size=1280,800", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                    "--disable-background-networking", "--disable-background-timer-throttling",
                    "--disable-renderer-backgrounding", "about:blank")
                    .redirectErrorStream(true)
                    .redirectOutput(target.resolve("chromium.log").toFile())
                    .start();
            Path activePort = profile.resolve("DevToolsActivePort");
            long deadline = System.nanoTime() + BROWSER_WAIT.toNanos();
            try {
                while (true) {
                    List<String> lines = Files.exists(activePort) ? Files.readAllLines(activePort) : List.of();
                    if (!lines.isEmpty() && !lines.get(0).isBlank()) {
                        return new Browser(process, profile, "http://127.0.0.1:" + lines.get(0).trim());
                    }
                    if (!process.isAlive()) {
                        throw new IllegalStateException("Chromium exited with " + process.exitValue() + " before opening its DevTools port: see "
                                + target.resolve("chromium.log").toAbsolutePath());
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Chromium did not open its DevTools port within " + BROWSER_WAIT.toSeconds() + " s");
                    }
                    Thread.sleep(50);
                }
            } catch (RuntimeException | InterruptedException e) {
                kill(process);
                deleteProfile(profile);
                throw e;
            }
        }

        /** A new tab (target), through the DevTools HTTP endpoint, with its own protocol connection. */
        Tab open() throws IOException, InterruptedException {
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(devtools + "/json/new?about:blank"))
                    .PUT(HttpRequest.BodyPublishers.noBody()).timeout(BROWSER_WAIT).build(), HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 200) {
                throw new IllegalStateException("DevTools refused a new tab: " + created.statusCode() + " " + created.body());
            }
            URI socket = URI.create(JSON.readTree(created.body()).path("webSocketDebuggerUrl").asString());
            Tab tab = new Tab(http, socket);
            tabs.add(tab);
            tab.call("Runtime.enable", Map.of());
            tab.call("Log.enable", Map.of());
            return tab;
        }

        /** Uncaught script errors and Content-Security-Policy violations of every tab. */
        List<String> problems() {
            List<String> problems = new ArrayList<>();
            for (Tab tab : tabs) {
                for (JsonNode event : tab.events) {
                    String method = event.path("method").asString();
                    JsonNode params = event.path("params");
                    if ("Runtime.exceptionThrown".equals(method)) {
                        problems.add(params.path("exceptionDetails").toString());
                    } else if ("Log.entryAdded".equals(method)
                            && ("security".equals(params.path("entry").path("source").asString())
                            || "javascript".equals(params.path("entry").path("source").asString()))) {
                        problems.add(params.path("entry").path("text").asString());
                    }
                }
            }
            return problems;
        }

        @Override
        public void close() {
            for (Tab tab : tabs) {
                tab.close();
            }
            kill(process);
            deleteProfile(profile);
        }

        /** Children first (the Debian launcher is a shell script; the renderers are its descendants), then the process. */
        private static void kill(Process process) {
            List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
            tree.forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            tree.add(process.toHandle());
            for (ProcessHandle handle : tree) {
                try {
                    handle.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    System.err.println("StatusPageIT: Chromium process " + handle.pid() + " did not end: " + e);
                }
            }
        }

        private static void deleteProfile(Path profile) {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            } catch (IOException e) {
                System.err.println("StatusPageIT: could not delete " + profile + ": " + e);
            }
        }
    }

    /** One tab's DevTools protocol connection: commands with ids, their replies, the events it sent. */
    static final class Tab implements WebSocket.Listener, AutoCloseable {

        private final AtomicInteger ids = new AtomicInteger();
        private final Map<Integer, CompletableFuture<JsonNode>> replies = new ConcurrentHashMap<>();
        private final List<JsonNode> events = new CopyOnWriteArrayList<>();
        private final StringBuilder message = new StringBuilder();
        private final WebSocket socket;

        Tab(HttpClient http, URI uri) {
            this.socket = http.newWebSocketBuilder().connectTimeout(BROWSER_WAIT).buildAsync(uri, this)
                    .orTimeout(BROWSER_WAIT.toSeconds(), TimeUnit.SECONDS).join();
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            message.append(data);
            if (last) {
                JsonNode received = JSON.readTree(message.toString());
                message.setLength(0);
                if (received.has("id")) {
                    CompletableFuture<JsonNode> reply = replies.remove(received.path("id").asInt());
                    if (reply != null) {
                        if (received.has("error")) {
                            reply.completeExceptionally(new IllegalStateException("DevTools error: " + received.path("error")));
                        } else {
                            reply.complete(received.path("result"));
                        }
                    }
                } else {
                    events.add(received);
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            replies.values().forEach(reply -> reply.completeExceptionally(error));
        }

        JsonNode call(String method, Map<String, Object> params) {
            int id = ids.incrementAndGet();
            CompletableFuture<JsonNode> reply = new CompletableFuture<>();
            replies.put(id, reply);
            Map<String, Object> command = new LinkedHashMap<>();
            command.put("id", id);
            command.put("method", method);
            command.put("params", params);
            socket.sendText(JSON.writeValueAsString(command), true).orTimeout(BROWSER_WAIT.toSeconds(), TimeUnit.SECONDS).join();
            return reply.orTimeout(BROWSER_WAIT.toSeconds(), TimeUnit.SECONDS).join();
        }

        void navigate(String url) {
            JsonNode result = call("Page.navigate", Map.of("url", url));
            if (result.has("errorText")) {
                throw new IllegalStateException("navigating to " + url + " failed: " + result.path("errorText").asString());
            }
        }

        JsonNode read() {
            JsonNode result;
            try {
                result = call("Runtime.evaluate", Map.of("expression", READ_PAGE, "returnByValue", true));
            } catch (CompletionException e) {
                if (e.getCause() instanceof IllegalStateException) {
                    return JSON.createObjectNode(); // a DevTools error while the page is being replaced: the caller polls again
                }
                throw e;
            }
            if (result.has("exceptionDetails")) {
                return JSON.createObjectNode(); // not loaded yet (no #overall): the caller polls again
            }
            return result.path("result").path("value");
        }

        /** Reads the page every 25 ms until it shows {@code what}; fails with the last reading after {@code within}. */
        JsonNode until(String what, Duration within, Predicate<JsonNode> condition) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            JsonNode page = read();
            while (!condition.test(page)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the page did not show " + what + " within " + within.toMillis() + " ms; it shows " + page);
                }
                Thread.sleep(25);
                page = read();
            }
            return page;
        }

        /** Brings the tab to the front first: a background tab draws no frames, so its capture would never end. */
        void screenshot(Path file) throws IOException {
            call("Page.bringToFront", Map.of());
            JsonNode shot = call("Page.captureScreenshot", Map.of("format", "png"));
            Files.write(file, Base64.getDecoder().decode(shot.path("data").asString()));
        }

        @Override
        public void close() {
            socket.abort();
        }
    }
}
