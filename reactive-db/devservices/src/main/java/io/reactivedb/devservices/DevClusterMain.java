package io.reactivedb.devservices;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

/**
 * Runs a dev-services cluster as a process of its own, for tools that need a database outside a
 * test JVM: the load tests start it, point the demo service at it, and stop and start its servers
 * in the middle of a run.
 *
 * <pre>
 * java io.reactivedb.devservices.DevClusterMain [--replicas N] [--base-dir DIR] --env-file FILE
 * </pre>
 *
 * <p>Once every server streams, it writes {@code FILE} (mode 0600, {@code KEY=value} lines):
 * {@code DATABASE_URL}, {@code DB_READ_REPLICA_URLS}, {@code DB_PASSWORD} (the cluster's throwaway
 * application password), the health and migration roles' logins ({@code DB_HEALTH_USER},
 * {@code DB_HEALTH_PASSWORD}, {@code DB_MIGRATION_USER}, {@code DB_MIGRATION_PASSWORD}), the backup role's
 * ({@code BACKUP_DATABASE_URL}, {@code BACKUP_DB_PASSWORD}),
 * {@code DB_AUTO_MIGRATE=true}, and {@code DEV_CLUSTER_CONTROL_PORT} and
 * {@code DEV_CLUSTER_CONTROL_TOKEN} for the control socket. It then runs until its standard input
 * closes, it is sent {@code shutdown}, or the JVM is stopped; the cluster is stopped and removed.
 * A command line: it blocks, and prints its usage and state to the terminal.
 *
 * <p>Control socket: loopback only, one command per connection, a line
 * {@code <token> <command> [node]} answered by one line, {@code ok ...} or {@code error ...}.
 * Commands: {@code stop}, {@code start}, {@code kill}, {@code restart}, {@code pause-replay},
 * {@code resume-replay} (each with a node name, {@code primary} or {@code replica-N}),
 * {@code status} and {@code shutdown}. The token keeps other local users from stopping the servers.
 */
public final class DevClusterMain {

    static final String USAGE = "usage: DevClusterMain [--replicas N] [--base-dir DIR] --env-file FILE";

    private DevClusterMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        DevClusterOptions.Builder builder = DevClusterOptions.builder();
        Optional.ofNullable(options.get("--replicas")).map(Integer::parseInt).ifPresent(builder::replicas);
        Optional.ofNullable(options.get("--base-dir")).map(Path::of).ifPresent(builder::baseDir);
        Path envFile = Path.of(options.get("--env-file"));

        DevCluster cluster = DevCluster.start(builder.build());
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "dev-cluster-main-shutdown"));
        String token = HexFormat.of().formatHex(randomBytes(16));
        try (ServerSocket control = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            writeEnvFile(envFile, environment(cluster, control.getLocalPort(), token));
            System.out.println("Dev cluster running; settings in " + envFile + " (close standard input or send 'shutdown' to stop)");
            Thread stdin = new Thread(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // Only the end of the stream matters.
                    }
                } catch (IOException e) {
                    // A closed standard input ends the cluster as EOF does.
                }
                done.countDown();
            }, "dev-cluster-main-stdin");
            stdin.setDaemon(true);
            stdin.start();
            control.setSoTimeout(200);
            while (done.getCount() > 0) {
                try (Socket client = control.accept()) {
                    if (serve(cluster, client, token)) {
                        done.countDown();
                    }
                } catch (SocketTimeoutException idle) {
                    // Check whether standard input has closed.
                }
            }
        } finally {
            cluster.close();
            Files.deleteIfExists(envFile);
        }
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!name.equals("--replicas") && !name.equals("--base-dir") && !name.equals("--env-file")) {
                throw new IllegalArgumentException("unknown option " + name);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            options.put(name, args[++i]);
        }
        if (!options.containsKey("--env-file")) {
            throw new IllegalArgumentException("--env-file is required");
        }
        if (options.containsKey("--replicas")) {
            try {
                Integer.parseInt(options.get("--replicas"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--replicas must be a number");
            }
        }
        return options;
    }

    static Map<String, String> environment(DevCluster cluster, int controlPort, String token) {
        Map<String, String> env = new LinkedHashMap<>(cluster.loginEnvironment());
        env.put("DB_AUTO_MIGRATE", "true");
        env.put("DEV_CLUSTER_CONTROL_PORT", Integer.toString(controlPort));
        env.put("DEV_CLUSTER_CONTROL_TOKEN", token);
        return env;
    }

    /** Writes the file readable by its owner only, atomically (a reader never sees half of it). */
    public static void writeEnvFile(Path file, Map<String, String> env) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".dev-cluster", ".env", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            String text = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n", "", "\n"));
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    /** Serves one command; true when it was {@code shutdown}. */
    static boolean serve(DevCluster cluster, Socket client, String token) throws IOException {
        client.setSoTimeout(5_000);
        BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8);
        String line = in.readLine();
        String[] words = line == null ? new String[0] : line.trim().split("\\s+");
        if (words.length < 2 || !MessageDigest.isEqual(words[0].getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            out.println("error: unauthorised");
            return false;
        }
        String reply;
        boolean shutdown = false;
        try {
            reply = execute(cluster, words);
            shutdown = words[1].equals("shutdown");
        } catch (RuntimeException e) {
            reply = "error: " + e.getMessage();
        }
        out.println(reply);
        return shutdown;
    }

    static String execute(DevCluster cluster, String[] words) {
        String command = words[1].toLowerCase(Locale.ROOT);
        switch (command) {
            case "status":
                return "ok " + cluster.nodes().stream()
                        .map(node -> ClusterSettings.endpointName(node) + "=" + (cluster.isRunning(node) ? "running" : "stopped"))
                        .collect(Collectors.joining(" "));
            case "shutdown":
                return "ok shutting down";
            default:
                break;
        }
        if (words.length != 3) {
            throw new IllegalArgumentException(command + " needs a node name");
        }
        DevNode node = cluster.nodes().stream().filter(n -> ClusterSettings.endpointName(n).equals(words[2])).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + words[2]));
        switch (command) {
            case "stop" -> cluster.stop(node);
            case "start" -> cluster.start(node);
            case "kill" -> cluster.kill(node);
            case "restart" -> cluster.restart(node);
            case "pause-replay" -> cluster.pauseReplay(node);
            case "resume-replay" -> cluster.resumeReplay(node);
            default -> throw new IllegalArgumentException("unknown command " + command);
        }
        return "ok " + command + " " + words[2];
    }
}
