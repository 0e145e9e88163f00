package io.reactivedb.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code pgbench} from the PostgreSQL binaries as a child process: a custom script with the same
 * query as the other clients, {@code -M prepared} (parse once per connection, then bind and
 * execute), one connection per operation in flight, as many threads as cores. Throughput is
 * pgbench's own {@code tps} (without its connection set-up); p50/p99 come from its per-transaction
 * log, sampled; its CPU is the children's time of this JVM ({@code cutime + cstime} in
 * {@code /proc/self/stat}), which the kernel adds once the process has been reaped.
 */
final class PgbenchLoad implements Load {

    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");
    private static final Pattern PROCESSED = Pattern.compile("number of transactions actually processed: (\\d+)");
    private static final Pattern FAILED = Pattern.compile("number of failed transactions: (\\d+)");
    /** Share of transactions pgbench logs for the percentiles: enough samples, little logging cost. */
    static final double SAMPLING_RATE = 0.2;
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    private final Path pgbench;
    private final Path workDir;
    private final Path script;
    private final List<String> connection;
    private final String password;
    private final int threads;
    private long cpuNanos = -1;
    private double tps = Double.NaN;
    private int clients;

    /**
     * @param sql the query with {@code :id} where the other clients bind {@code $1}
     */
    PgbenchLoad(Path pgbench, String host, int port, String database, String user, String password, String sql, int rows)
            throws IOException {
        this.pgbench = pgbench;
        this.workDir = Files.createTempDirectory("reactive-db-pgbench");
        this.script = workDir.resolve("select.sql");
        Files.writeString(script, "\\set id random(1, " + rows + ")\n" + sql + ";\n", StandardCharsets.UTF_8);
        this.connection = List.of("-h", host, "-p", Integer.toString(port), "-U", user, database);
        this.password = password;
        this.threads = Runtime.getRuntime().availableProcessors();
    }

    @Override
    public void run(long endNanos, int concurrency, Recorder recorder) throws IOException, InterruptedException {
        long seconds = Math.max(1, Math.round((endNanos - System.nanoTime()) / 1e9));
        clients = concurrency;
        Path logPrefix = workDir.resolve("latency");
        List<String> command = new ArrayList<>(List.of(pgbench.toString(), "-n", "-M", "prepared", "-f", script.toString(),
                "-c", Integer.toString(concurrency), "-j", Integer.toString(Math.min(threads, concurrency)),
                "-T", Long.toString(seconds), "--log", "--log-prefix=" + logPrefix, "--sampling-rate=" + SAMPLING_RATE));
        command.addAll(connection);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("PGPASSWORD", password);
        long childCpuBefore = childrenCpuNanos();
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(seconds + 60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("pgbench did not end within 60 s of its run time");
        }
        cpuNanos = childrenCpuNanos() - childCpuBefore;
        if (process.exitValue() != 0) {
            throw new IllegalStateException("pgbench exited with " + process.exitValue() + ":\n" + output);
        }
        tps = Double.parseDouble(find(TPS, output));
        long failed = output.contains("number of failed transactions") ? Long.parseLong(find(FAILED, output)) : 0;
        recorder.add(Long.parseLong(find(PROCESSED, output)), failed);
        readLatencies(recorder.latencies);
    }

    private static String find(Pattern pattern, String output) {
        Matcher matcher = pattern.matcher(output);
        if (!matcher.find()) {
            throw new IllegalStateException("pgbench output lacks '" + pattern + "':\n" + output);
        }
        return matcher.group(1);
    }

    /** Each log line: client id, transaction number, latency in µs, script number, epoch seconds, µs. */
    private void readLatencies(LatencyHistogram histogram) throws IOException {
        List<Path> logs;
        try (Stream<Path> files = Files.list(workDir)) {
            logs = files.filter(file -> file.getFileName().toString().startsWith("latency.")).toList();
        }
        for (Path log : logs) {
            try (Stream<String> lines = Files.lines(log)) {
                lines.forEach(line -> {
                    String[] fields = line.split(" ");
                    if (fields.length >= 3) {
                        histogram.record(Long.parseLong(fields[2]) * 1_000);
                    }
                });
            }
            Files.delete(log);
        }
    }

    /** CPU time of this JVM's reaped children, from {@code /proc/self/stat}; 0 where there is no procfs. */
    static long childrenCpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the command name in parentheses, which may contain spaces.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // cutime and cstime are fields 16 and 17 of the whole line, 14 and 15 after the name.
            long ticks = Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
            return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    @Override
    public long externalCpuNanos() {
        return cpuNanos;
    }

    @Override
    public double ownOpsPerSecond() {
        return tps;
    }

    @Override
    public String note() {
        return "-M prepared, -c " + clients + " -j " + Math.min(threads, Math.max(1, clients)) + ", latencies sampled at " + SAMPLING_RATE;
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.list(workDir)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(workDir);
    }
}
