package io.reactivedb.load;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The one command behind {@code bin/load-test}: starts a dev-services cluster
 * ({@code DevClusterMain}, its own process), starts the demo service against it (the service's
 * jar, its own process), runs Gatling simulations in this JVM, prints where each report is, and
 * stops both processes whatever happened.
 *
 * <pre>
 * LoadTestRunner [--simulation ReadHeavy|WriteHeavy|MixedStreaming|Failover|all] [--rate N] [--duration S] [--smoke] [load.x=y ...]
 * </pre>
 *
 * <p>{@code --smoke} runs every simulation for a few seconds at a low rate with loose latency
 * limits: it proves the simulations, the service and the cluster still work together (CI runs it),
 * it measures nothing. Other {@code load.*} settings (see {@link LoadSettings} and the
 * simulations' latency limits) are given as {@code load.readP99Ms=400} and set as system properties. Exit code: 0 when every simulation passed its assertions, 1 otherwise.
 */
public final class LoadTestRunner {

    private static final List<String> ALL = List.of("ReadHeavy", "WriteHeavy", "MixedStreaming", "Failover");
    private static final java.util.regex.Pattern LISTENING = java.util.regex.Pattern.compile("Netty started on port (\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    static final String USAGE = "[--simulation ReadHeavy|WriteHeavy|MixedStreaming|Failover|all] [--rate N] [--duration S] [--smoke] [load.<setting>=<value> ...]";

    private LoadTestRunner() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs as {@link #main} does and returns the exit code instead of exiting. */
    public static int run(String[] args) {
        Map<String, String> options = parse(args);
        boolean smoke = options.containsKey("--smoke");
        String which = options.getOrDefault("--simulation", smoke ? "all" : "ReadHeavy");
        List<String> simulations = which.equals("all") ? ALL : List.of(which.replace("Simulation", ""));
        for (String simulation : simulations) {
            if (!ALL.contains(simulation)) {
                throw new IllegalArgumentException("unknown simulation " + simulation + "; one of " + ALL + " or all");
            }
        }
        Path project = projectDir();
        Path jar = project.resolve("reactive-web/demo/target/reactive-web-demo.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (bin/load-test does)");
        }
        Path work = project.resolve("load-tests/target/load-run");
        Path results = project.resolve("load-tests/target/gatling");
        try {
            Files.createDirectories(work);
            Files.createDirectories(results);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> load = new LinkedHashMap<>();
        if (smoke) {
            load.put("load.rate", "10");
            load.put("load.duration", "6");
            load.put("load.accounts", "20");
            load.put("load.readP99Ms", "5000");
            load.put("load.writeP99Ms", "10000");
            load.put("load.listP99Ms", "10000");
        }
        Optional.ofNullable(options.get("--rate")).ifPresent(rate -> load.put("load.rate", rate));
        Optional.ofNullable(options.get("--duration")).ifPresent(seconds -> load.put("load.duration", seconds));
        options.forEach((key, value) -> {
            if (key.startsWith("load.")) {
                load.put(key, value);
            }
        });

        Path envFile = work.resolve("cluster.env");
        try (ChildProcess cluster = startCluster(jar, work, envFile)) {
            Map<String, String> env = ClusterControl.readEnvFile(envFile);
            // Enough retries to carry a write across a primary restart (a second or two), and a
            // breaker that tries the primary again soon after it is back.
            env.putIfAbsent("DB_MAX_RETRIES", "8");
            env.putIfAbsent("DB_RETRY_MAX_TOTAL", "15s");
            env.putIfAbsent("DB_CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "2s");
            try (ChildProcess service = startService(jar, work, env)) {
                load.put("load.baseUrl", "http://127.0.0.1:" + servicePort(service));
                load.put("load.clusterEnv", envFile.toString());
                load.forEach(System::setProperty);
                int failed = 0;
                for (String simulation : simulations) {
                    int code = gatling("io.reactivedb.load." + simulation + "Simulation", results, smoke);
                    String report = newestReport(results).map(Path::toString).orElse("(no report written)");
                    System.out.println(simulation + "Simulation: " + (code == 0 ? "passed" : "FAILED (exit " + code + ")") + "; report: " + report);
                    if (code != 0) {
                        failed++;
                    }
                }
                System.out.println("Service log: " + service.log() + "; cluster log: " + cluster.log());
                return failed == 0 ? 0 : 1;
            }
        }
    }

    private static int gatling(String simulationClass, Path results, boolean smoke) {
        return io.gatling.app.Gatling$.MODULE$.fromArgs(new String[] {
                "--simulation", simulationClass,
                "--results-folder", results.toString(),
                "--run-description", smoke ? "smoke" : "load",
                "--launcher", "reactive-db-load-test-runner"});
    }

    private static Optional<Path> newestReport(Path results) {
        try (Stream<Path> runs = Files.list(results)) {
            return runs.filter(Files::isDirectory)
                    .max(Comparator.comparing(dir -> dir.toFile().lastModified()))
                    .map(dir -> dir.resolve("index.html"))
                    .filter(Files::isRegularFile);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static ChildProcess startCluster(Path jar, Path work, Path envFile) {
        try {
            Files.deleteIfExists(envFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The service's jar holds DevClusterMain and its dependencies; Spring Boot's properties
        // launcher runs a main class of the jar other than the application.
        ChildProcess cluster = ChildProcess.start("cluster", work, Map.of(), List.of(javaBin(), "-cp", jar.toString(),
                "-Dloader.main=io.reactivedb.devservices.DevClusterMain", "org.springframework.boot.loader.launch.PropertiesLauncher",
                "--env-file", envFile.toString(), "--base-dir", work.resolve("cluster").toString()));
        cluster.awaitUntil(() -> Files.isRegularFile(envFile), START_TIMEOUT, "the dev cluster to start");
        System.out.println("Dev cluster up; settings in " + envFile);
        return cluster;
    }

    /**
     * Starts the demo service on a port the operating system picks ({@code --server.port=0}: a port
     * chosen here and handed over could be taken by another process meanwhile, as it once was) and
     * waits until it reports a healthy database.
     */
    private static ChildProcess startService(Path jar, Path work, Map<String, String> env) {
        Map<String, String> serviceEnv = new LinkedHashMap<>(env);
        serviceEnv.keySet().removeIf(key -> key.startsWith("DEV_CLUSTER_"));
        ChildProcess service = ChildProcess.start("service", work, serviceEnv,
                List.of(javaBin(), "-Xmx1g", "-jar", jar.toString(), "--server.port=0"));
        service.awaitUntil(() -> listeningPort(service).isPresent(), START_TIMEOUT, "the demo service to listen");
        int port = servicePort(service);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI health = URI.create("http://127.0.0.1:" + port + "/health/database");
        service.awaitUntil(() -> {
            try {
                return http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, START_TIMEOUT, "the demo service to report a healthy database");
        System.out.println("Demo service up on port " + port);
        return service;
    }

    private static int servicePort(ChildProcess service) {
        return listeningPort(service).orElseThrow(() -> new IllegalStateException("the service has not said its port; see " + service.log()));
    }

    /** The port in the service's "Netty started on port N" line, once it is in its log. */
    private static Optional<Integer> listeningPort(ChildProcess service) {
        try {
            java.util.regex.Matcher matcher = LISTENING.matcher(Files.readString(service.log()));
            return matcher.find() ? Optional.of(Integer.parseInt(matcher.group(1))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The project's root: the nearest folder upwards that has the service's module. */
    static Path projectDir() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("reactive-web"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("run from inside the project: no reactive-web folder above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> options.put("--smoke", "true");
                case "--simulation", "--rate", "--duration" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException(args[i] + " needs a value");
                    }
                    options.put(args[i], args[++i]);
                }
                default -> {
                    int eq = args[i].indexOf('=');
                    if (!args[i].startsWith("load.") || eq < 0) {
                        throw new IllegalArgumentException("unknown option " + args[i] + "; usage: " + USAGE);
                    }
                    options.put(args[i].substring(0, eq), args[i].substring(eq + 1));
                }
            }
        }
        return options;
    }

    /** A child process with its output in a log file; closing it stops it (SIGTERM, then kill after 30 s). */
    record ChildProcess(String name, Process process, Path log, Thread reaper) implements AutoCloseable {

        /** Starts {@code command}; a JVM shutdown hook stops it should this JVM be stopped first. */
        static ChildProcess start(String name, Path work, Map<String, String> env, List<String> command) {
            Path log = work.resolve(name + ".log");
            ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(env);
            try {
                Process process = builder.start();
                Thread reaper = new Thread(process::destroy, "load-test-" + name + "-reaper");
                Runtime.getRuntime().addShutdownHook(reaper);
                return new ChildProcess(name, process, log, reaper);
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the " + name, e);
            }
        }

        void awaitUntil(java.util.function.BooleanSupplier ready, Duration timeout, String what) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!ready.getAsBoolean()) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the " + name + " exited (" + process.exitValue() + ") while waiting for " + what + "; see " + log);
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out after " + timeout + " waiting for " + what + "; see " + log);
                }
                DemoClient.pause(Duration.ofMillis(200));
            }
        }

        @Override
        public void close() {
            try (OutputStream stdin = process.getOutputStream()) {
                // Closing standard input stops DevClusterMain cleanly; the service ignores it.
                stdin.flush();
            } catch (IOException ignored) {
                // The process may already be gone.
            }
            process.destroy();
            try {
                if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs anyway; the process is already gone.
            }
        }
    }
}
