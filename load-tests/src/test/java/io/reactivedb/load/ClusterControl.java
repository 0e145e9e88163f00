package io.reactivedb.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Client of {@code DevClusterMain}'s control socket: stops and starts the dev cluster's servers
 * from a simulation. Reads the port and token from the cluster's env file.
 */
final class ClusterControl {

    private final int port;
    private final String token;

    private ClusterControl(int port, String token) {
        this.port = port;
        this.token = token;
    }

    static ClusterControl fromEnvFile(Path file) {
        Map<String, String> env = readEnvFile(file);
        String port = env.get("DEV_CLUSTER_CONTROL_PORT");
        String token = env.get("DEV_CLUSTER_CONTROL_TOKEN");
        if (port == null || token == null) {
            throw new IllegalStateException(file + " names no control port and token; was it written by DevClusterMain?");
        }
        return new ClusterControl(Integer.parseInt(port), token);
    }

    static Map<String, String> readEnvFile(Path file) {
        try {
            Map<String, String> env = new LinkedHashMap<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    env.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return env;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
    }

    /** Sends {@code command} (e.g. {@code stop replica-1}) and returns the reply; fails on an {@code error} reply. */
    String send(String command) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(120_000);
            new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8).println(token + " " + command);
            String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (reply == null || !reply.startsWith("ok")) {
                throw new IllegalStateException("dev cluster refused '" + command + "': " + reply);
            }
            return reply;
        } catch (IOException e) {
            throw new UncheckedIOException("dev cluster control on port " + port + " failed for '" + command + "'", e);
        }
    }
}
