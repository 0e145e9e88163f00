package io.reactivedb.bench;

import java.util.List;
import java.util.Locale;

/**
 * An SVG of the benchmark: per client, median throughput with its min..max spread, and median p99
 * latency, as two bar panels side by side. Plain SVG text, no library.
 */
final class Chart {

    /** One bar row: label, group (colours the bar), throughput median/min/max in ops/s, p99 in ms. */
    record Row(String label, String group, double ops, double opsMin, double opsMax, double p99Millis) {
    }

    private static final int LABEL_WIDTH = 300;
    private static final int PANEL_WIDTH = 330;
    private static final int GAP = 70;
    private static final int ROW_HEIGHT = 24;
    private static final int TOP = 64;

    private Chart() {
    }

    static String svg(String title, String subtitle, List<Row> rows) {
        int height = TOP + rows.size() * ROW_HEIGHT + 40;
        int width = LABEL_WIDTH + 2 * PANEL_WIDTH + GAP + 20;
        double maxOps = rows.stream().mapToDouble(Row::opsMax).max().orElse(1);
        double maxP99 = rows.stream().mapToDouble(Row::p99Millis).max().orElse(1);
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        svg.append(text(10, 20, escape(title), "font-size=\"15\" font-weight=\"bold\""));
        svg.append(text(10, 38, escape(subtitle), "fill=\"#555\""));
        int leftX = LABEL_WIDTH;
        int rightX = LABEL_WIDTH + PANEL_WIDTH + GAP;
        svg.append(text(leftX, TOP - 8, "throughput, ops/s (median; line: min..max of rounds)", "font-weight=\"bold\""));
        svg.append(text(rightX, TOP - 8, "p99 latency, ms (median)", "font-weight=\"bold\""));
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            int y = TOP + i * ROW_HEIGHT;
            String colour = colour(row.group());
            svg.append(text(LABEL_WIDTH - 8, y + 15, escape(row.label()), "text-anchor=\"end\""));
            double opsWidth = PANEL_WIDTH * 0.82 * row.ops() / maxOps;
            svg.append(bar(leftX, y + 3, opsWidth, colour));
            double lo = leftX + PANEL_WIDTH * 0.82 * row.opsMin() / maxOps;
            double hi = leftX + PANEL_WIDTH * 0.82 * row.opsMax() / maxOps;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#222\"/>%n", lo, y + 11, hi, y + 11));
            svg.append(text((int) (leftX + Math.max(opsWidth, hi - leftX)) + 4, y + 15, String.format(Locale.ROOT, "%,.0f", row.ops()), ""));
            double p99Width = PANEL_WIDTH * 0.82 * row.p99Millis() / maxP99;
            svg.append(bar(rightX, y + 3, p99Width, colour));
            svg.append(text((int) (rightX + p99Width) + 4, y + 15, String.format(Locale.ROOT, "%.2f", row.p99Millis()), ""));
        }
        int legendY = TOP + rows.size() * ROW_HEIGHT + 22;
        int x = 10;
        for (String group : List.of("limit", "peer", "router")) {
            svg.append(bar(x, legendY - 10, 12, colour(group)));
            svg.append(text(x + 16, legendY, group.equals("limit") ? "pgbench (the machine's limit)" : group.equals("peer") ? "other clients" : "reactive-db router", ""));
            x += 220;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static String colour(String group) {
        return switch (group) {
            case "limit" -> "#8c8c8c";
            case "router" -> "#e07b28";
            default -> "#3b75af";
        };
    }

    private static String bar(double x, double y, double width, String colour) {
        return String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>%n", x, y, Math.max(width, 1), colour);
    }

    private static String text(int x, int y, String content, String attributes) {
        return String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" %s>%s</text>%n", x, y, attributes, content);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
