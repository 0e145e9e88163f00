package io.reactivedb.bench;

import io.reactivedb.bench.RouterBenchmark.Kind;
import io.reactivedb.bench.RouterBenchmark.Options;
import io.reactivedb.bench.RouterBenchmark.Series;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The figures of one run: medians over rounds with their spread, and ratios to raw r2dbc-pool (the
 * same kind of operation: reads to raw reads, updates to raw updates) and to pgbench, as text, as a
 * markdown table for {@code docs/PERFORMANCE.md}, and as an SVG chart; plus the goals, each
 * met or missed.
 */
final class Report {

    private final Options options;
    private final List<Series> series;
    private final Map<String, String> environment;
    private final Set<String> notes;

    Report(Options options, List<Series> series, Map<String, String> environment, Set<String> notes) {
        this.options = options;
        this.series = List.copyOf(series);
        this.environment = environment;
        this.notes = notes;
    }

    List<Series> series() {
        return series;
    }

    Optional<Series> find(String key) {
        return series.stream().filter(s -> s.contender().key().equals(key)).findFirst();
    }

    private double ops(String key) {
        return find(key).map(s -> s.median(Measurement::opsPerSecond)).orElse(Double.NaN);
    }

    private double p99(String key) {
        return find(key).map(s -> s.median(Measurement::p99Micros)).orElse(Double.NaN);
    }

    /** The raw r2dbc-pool series this one is compared with: raw reads for reads, raw updates for updates. */
    private Optional<Series> rawBaseline(Series s) {
        return switch (s.contender().kind()) {
            case READ -> find("raw");
            case WRITE -> find("raw-update");
            case WRITE_THEN_READ -> Optional.empty();
        };
    }

    private static String ratio(double value, double base) {
        return Double.isNaN(value) || Double.isNaN(base) || base == 0 ? "–" : String.format(Locale.ROOT, "%.2f", value / base);
    }

    String text() {
        StringBuilder out = new StringBuilder("medians over rounds (spread = min..max throughput); ratios: x raw (same kind), x pgbench\n");
        double pgbench = ops("pgbench");
        for (Series s : series) {
            double ops = s.median(Measurement::opsPerSecond);
            double base = rawBaseline(s).map(b -> b.median(Measurement::opsPerSecond)).orElse(Double.NaN);
            double baseP99 = rawBaseline(s).map(b -> b.median(Measurement::p99Micros)).orElse(Double.NaN);
            out.append(String.format(Locale.ROOT, "%-40s %9.0f ops/s (%.0f..%.0f)  p50 %6.0f us  p99 %6.0f us  cpu %6.1f us/op  alloc %6.0f B/op"
                            + "  ops x raw %s  p99 x raw %s  ops x pgbench %s  errors %d%n",
                    s.contender().label(), ops, s.min(), s.max(), s.median(Measurement::p50Micros), s.median(Measurement::p99Micros),
                    s.median(Measurement::cpuMicrosPerOp), s.median(Measurement::bytesPerOp), ratio(ops, base),
                    ratio(s.median(Measurement::p99Micros), baseP99),
                    s.contender().kind() == Kind.READ ? ratio(ops, pgbench) : "–",
                    s.rounds().stream().mapToLong(Measurement::errors).sum()));
        }
        out.append(perRound("router-full", "raw"));
        out.append(perRound("router", "raw"));
        out.append(perRound("router-write", "raw-update"));
        out.append(perRound("router-leaks", "router-full"));
        out.append(perRound("router-traced", "router-full"));
        out.append('\n').append(goals());
        return out.toString();
    }

    private String perRound(String key, String baseKey) {
        Optional<Series> s = find(key);
        Optional<Series> base = find(baseKey);
        if (s.isEmpty() || base.isEmpty()) {
            return "";
        }
        List<String> ratios = new ArrayList<>();
        for (int i = 0; i < s.get().rounds().size(); i++) {
            ratios.add(String.format(Locale.ROOT, "%.3f", s.get().rounds().get(i).opsPerSecond() / base.get().rounds().get(i).opsPerSecond()));
        }
        return String.format(Locale.ROOT, "%s / %s throughput per round: %s%n", key, baseKey, ratios);
    }

    /** The goals, each with the measured value and met/missed; skipped when a client was not run. */
    String goals() {
        StringBuilder out = new StringBuilder("goals\n");
        goal(out, "router full stack >= 0.95 x raw throughput", ops("router-full") / ops("raw"), 0.95, true);
        goal(out, "router full stack p99 <= 1.15 x raw p99", p99("router-full") / p99("raw"), 1.15, false);
        goal(out, "router full stack >= Spring DatabaseClient", ops("router-full") / ops("spring"), 1.0, true);
        goal(out, "router full stack >= HikariCP", ops("router-full") / ops("hikari"), 1.0, true);
        goal(out, "router updates >= 0.95 x raw updates", ops("router-write") / ops("raw-update"), 0.95, true);
        return out.toString();
    }

    private static void goal(StringBuilder out, String what, double value, double bound, boolean atLeast) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return;
        }
        boolean met = atLeast ? value >= bound : value <= bound;
        out.append(String.format(Locale.ROOT, "  %-48s %.3f  %s%n", what, value, met ? "met" : "MISSED"));
    }

    String markdown(String arguments) {
        StringBuilder md = new StringBuilder();
        md.append("```sh\n./mvnw -B -pl load-tests -am -Pbench -DskipTests verify");
        md.append(" \\\n    -Dbench.args=\"").append(arguments.trim()).append("\"\n```\n\n");
        md.append("Machine: ").append(environment.get("cores")).append(" cores (").append(environment.get("cpu")).append("), Java ")
                .append(environment.get("java")).append(", ").append(environment.get("postgresql")).append(".  \nVersions:");
        environment.forEach((name, version) -> {
            if (!List.of("cores", "cpu", "java", "postgresql").contains(name)) {
                md.append(' ').append(name).append(' ').append(version).append(',');
            }
        });
        md.setLength(md.length() - 1);
        md.append(".  \nWorkload: ").append(String.format(Locale.ROOT, "%,d", options.rows()))
                .append(" rows, primary-key reads (`").append(RouterBenchmark.SELECT).append("`) or single-row updates, ")
                .append(options.concurrency()).append(" in flight, pool ").append(options.poolSize()).append(", ")
                .append(options.warmup().toSeconds()).append(" s warm-up per client, ").append(options.rounds()).append(options.rounds() == 1 ? " round of " : " rounds of ")
                .append(options.round().toSeconds()).append(" s, client order reversed every other round. Medians over rounds.\n\n");
        md.append("| client | ops/s (min..max) | p50 ms | p99 ms | client CPU µs/op | alloc B/op | ops × raw | p99 × raw | ops × pgbench |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        double pgbench = ops("pgbench");
        for (Series s : series) {
            double ops = s.median(Measurement::opsPerSecond);
            double base = rawBaseline(s).map(b -> b.median(Measurement::opsPerSecond)).orElse(Double.NaN);
            double baseP99 = rawBaseline(s).map(b -> b.median(Measurement::p99Micros)).orElse(Double.NaN);
            String note = s.contender().load().note();
            double bytes = s.median(Measurement::bytesPerOp);
            md.append(String.format(Locale.ROOT, "| %s%s | %,.0f (%,.0f..%,.0f) | %.2f | %.2f | %.1f | %s | %s | %s | %s |%n",
                    s.contender().label(), note.isEmpty() ? "" : " (" + note + ")", ops, s.min(), s.max(),
                    s.median(Measurement::p50Micros) / 1e3, s.median(Measurement::p99Micros) / 1e3, s.median(Measurement::cpuMicrosPerOp),
                    Double.isNaN(bytes) || s.contender().key().equals("hikari") ? "–" : String.format(Locale.ROOT, "%,.0f", bytes),
                    ratio(ops, base), ratio(s.median(Measurement::p99Micros), baseP99),
                    s.contender().kind() == Kind.READ ? ratio(ops, pgbench) : "–"));
        }
        md.append('\n');
        md.append(ratioTable());
        md.append('\n');
        md.append("Updates are compared with raw r2dbc-pool updates; reads with raw reads.");
        for (String note : notes) {
            md.append(' ').append(note).append('.');
        }
        md.append("\n\n");
        String perRound = perRound("router-full", "raw") + perRound("router", "raw") + perRound("router-write", "raw-update");
        if (!perRound.isEmpty()) {
            md.append("```\n").append(perRound).append(goals()).append("```\n");
        }
        return md.toString();
    }

    /**
     * Every median as a ratio to raw r2dbc-pool (same kind of operation) and to pgbench: throughput,
     * p50, p99 and client CPU per operation. Above 1 is better for throughput, worse for the others.
     */
    String ratioTable() {
        StringBuilder md = new StringBuilder();
        md.append("| client | ops × raw | ops × pgbench | p50 × raw | p50 × pgbench | p99 × raw | p99 × pgbench | CPU/op × raw | CPU/op × pgbench |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        Optional<Series> pgbench = find("pgbench");
        for (Series s : series) {
            Optional<Series> raw = rawBaseline(s);
            Optional<Series> limit = s.contender().kind() == Kind.READ ? pgbench : Optional.empty();
            md.append("| ").append(s.contender().label());
            for (java.util.function.ToDoubleFunction<Measurement> figure : List.<java.util.function.ToDoubleFunction<Measurement>>of(
                    Measurement::opsPerSecond, Measurement::p50Micros, Measurement::p99Micros, Measurement::cpuMicrosPerOp)) {
                double value = s.median(figure);
                md.append(" | ").append(ratio(value, raw.map(b -> b.median(figure)).orElse(Double.NaN)));
                md.append(" | ").append(ratio(value, limit.map(b -> b.median(figure)).orElse(Double.NaN)));
            }
            md.append(" |\n");
        }
        return md.toString();
    }

    String chart() {
        List<Chart.Row> rows = new ArrayList<>();
        for (Series s : series) {
            rows.add(new Chart.Row(s.contender().label(), s.contender().group(), s.median(Measurement::opsPerSecond), s.min(), s.max(),
                    s.median(Measurement::p99Micros) / 1e3));
        }
        String subtitle = String.format(Locale.ROOT, "%,d rows, %d in flight, pool %d, %d x %d s; %s cores, Java %s, %s",
                options.rows(), options.concurrency(), options.poolSize(), options.rounds(), options.round().toSeconds(),
                environment.get("cores"), Runtime.version().feature(), environment.get("postgresql"));
        return Chart.svg("reactive-db benchmark: primary-key reads and single-row updates, one run", subtitle, rows);
    }
}
