package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's shell examples as a user would, so they cannot drift: every fenced {@code sh}
 * block preceded by {@code <!-- readme-test expect: A | B -->} runs in bash ({@code -euo pipefail})
 * against the demo jar started as {@code bin/run --reactive-db.admin.enabled=true} starts it (its
 * embedded dev cluster, its {@code target/dev-cluster.env}, its generated admin password), and must
 * exit 0 with each expected text in its output. Build steps ({@code ./mvnw …}: this build made those
 * jars) and {@code bin/run} lines are left out; {@code localhost:8080} is the started service's port.
 *
 * <p>Not a {@link WebIT}: it needs the service as a process of its own, in a working directory laid
 * out as the repository ({@code target/}, with {@code migrations} and {@code reactive-db} linked in),
 * not the shared test context.
 */
class ReadmeIT {

    static final String MARKER = "<!-- readme-test";
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration BLOCK = Duration.ofSeconds(120);
    private static final Pattern PORT = Pattern.compile("Netty started on port (\\d+)");

    private static Path repository;
    private static Path root;
    private static Process service;
    private static int port;

    @BeforeAll
    static void startService() throws Exception {
        Path module = Path.of("").toAbsolutePath();
        repository = module.getParent().getParent();
        root = Files.createTempDirectory(Files.createDirectories(module.resolve("target")), "readme-it-");
        Files.createDirectories(root.resolve("target"));
        for (String linked : List.of("migrations", "reactive-db")) {
            Files.createSymbolicLink(root.resolve(linked), repository.resolve(linked));
        }
        Path jar = module.resolve("target/reactive-web-demo.jar");
        assertThat(jar).as("the demo jar (package phase)").exists();
        Path log = root.resolve("target/service.log");
        ProcessBuilder builder = new ProcessBuilder(javaExecutable(), "-jar", jar.toString(), "--server.port=0",
                "--reactive-db.admin.enabled=true").directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        cleanDatabaseVariables(builder.environment());
        service = builder.start();
        Await.until("the service to start (log " + log + ")", START, () -> {
            if (!service.isAlive()) {
                throw new AssertionError("the service exited with " + service.exitValue() + ":\n" + read(log));
            }
            Matcher matcher = PORT.matcher(read(log));
            if (matcher.find()) {
                port = Integer.parseInt(matcher.group(1));
            }
            return port > 0 && Files.exists(root.resolve("target/dev-cluster.env"));
        });
    }

    @AfterAll
    static void stopService() throws Exception {
        if (service != null) {
            service.destroy(); // SIGTERM: the graceful shutdown bin/run's user gets with Ctrl-C
            if (!service.waitFor(60, TimeUnit.SECONDS)) {
                service.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void theLoginsFileIsOwnerOnlyAndHoldsWhatTheCommandLinesNeed() throws IOException {
        Path env = root.resolve("target/dev-cluster.env");
        assertThat(Files.getPosixFilePermissions(env)).isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        assertThat(Files.readString(env)).contains("DATABASE_URL=postgresql://", "DB_PASSWORD=", "DB_MIGRATION_USER=", "DB_MIGRATION_PASSWORD=",
                "DB_HEALTH_USER=", "BACKUP_DATABASE_URL=postgresql://app_backup@", "BACKUP_DB_PASSWORD=");
        assertThat(read(root.resolve("target/service.log"))).as("no password in the service's log")
                .doesNotContain(value(env, "DB_PASSWORD")).doesNotContain(value(env, "BACKUP_DB_PASSWORD"));
    }

    @Test
    void everyMarkedShellExampleRunsAsWritten() throws Exception {
        List<Example> examples = examples(Files.readString(repository.resolve("README.md")));
        assertThat(examples).as("marked examples in README.md").hasSizeGreaterThanOrEqualTo(3);
        for (Example example : examples) {
            String script = example.script(port);
            ProcessBuilder builder = new ProcessBuilder("bash", "-euo", "pipefail", "-c", script).directory(root.toFile())
                    .redirectErrorStream(true);
            cleanDatabaseVariables(builder.environment());
            Path output = Files.createTempFile(root.resolve("target"), "example-", ".out");
            builder.redirectOutput(output.toFile());
            Process bash = builder.start();
            boolean ended = bash.waitFor(BLOCK.toSeconds(), TimeUnit.SECONDS);
            if (!ended) {
                bash.destroyForcibly();
            }
            String text = read(output);
            String context = "README.md line " + example.line() + ":\n" + script + "\n--- output ---\n" + text;
            assertThat(ended).as("ended within " + BLOCK + ": " + context).isTrue();
            assertThat(bash.exitValue()).as(context).isZero();
            for (String expected : example.expected()) {
                assertThat(text).as(context).contains(expected);
            }
        }
    }

    /** One marked block: its first line in the README, the expected texts, and its lines. */
    record Example(int line, List<String> expected, List<String> lines) {

        String script(int port) {
            List<String> kept = new ArrayList<>();
            for (String line : lines) {
                String trimmed = line.strip();
                if (trimmed.startsWith("./mvnw ") || trimmed.startsWith("bin/run")) {
                    continue;
                }
                kept.add(line.replace("localhost:8080", "127.0.0.1:" + port));
            }
            return String.join("\n", kept) + "\n";
        }
    }

    static List<Example> examples(String readme) {
        List<String> lines = readme.lines().toList();
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.startsWith(MARKER)) {
                continue;
            }
            String spec = line.substring(MARKER.length(), line.lastIndexOf("-->")).strip();
            List<String> expected = spec.startsWith("expect:")
                    ? Arrays.stream(spec.substring("expect:".length()).split(" \\| ")).map(String::strip).filter(s -> !s.isEmpty()).toList()
                    : List.of();
            int fence = i + 1;
            if (fence >= lines.size() || !lines.get(fence).strip().equals("```sh")) {
                throw new AssertionError("README.md line " + (i + 1) + ": the marker must be followed by a ```sh fence");
            }
            List<String> body = new ArrayList<>();
            int j = fence + 1;
            while (j < lines.size() && !lines.get(j).strip().equals("```")) {
                body.add(lines.get(j));
                j++;
            }
            examples.add(new Example(fence + 1, expected, body));
            i = j;
        }
        return examples;
    }

    private static void cleanDatabaseVariables(Map<String, String> env) {
        env.keySet().removeIf(name -> name.equals("DATABASE_URL") || name.startsWith("DB_") || name.startsWith("BACKUP_")
                || name.startsWith("REACTIVE_DB_") && !name.equals("REACTIVE_DB_PG_BIN"));
    }

    private static String value(Path env, String name) throws IOException {
        return Files.readAllLines(env).stream().filter(l -> l.startsWith(name + "=")).map(l -> l.substring(name.length() + 1))
                .findFirst().orElseThrow();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
