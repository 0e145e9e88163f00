package io.reactivedb.web;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The metric and label names a PromQL expression refers to, for checking a dashboard against a
 * scrape. Not a PromQL parser: a scan that knows what can stand next to a metric name. An identifier
 * followed by {@code (} is a function or aggregation, one in {@link #KEYWORDS} is a keyword, and any
 * other is a metric name; its {@code {…}} holds label matchers; {@code by}/{@code without}/{@code on}/
 * {@code ignoring}/{@code group_left}/{@code group_right} lists hold grouping labels; {@code […]}
 * (ranges, subqueries), strings, numbers and Grafana's {@code $variables} are skipped.
 *
 * @param metrics  each metric name with the label names its matchers use (empty for a bare name)
 * @param grouping the label names of grouping and matching lists
 */
record PromQlNames(Map<String, Set<String>> metrics, Set<String> grouping) {

    /** Aggregation operators (also written without a parenthesis after them: {@code sum by (x) (…)}) and keywords. */
    static final Set<String> KEYWORDS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
            "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio", "and", "or", "unless", "bool", "offset",
            "atan2", "inf", "nan");
    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

    static PromQlNames of(String expr) {
        Map<String, Set<String>> metrics = new LinkedHashMap<>();
        Set<String> grouping = new LinkedHashSet<>();
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
            } else if (c == '[') {
                i = expr.indexOf(']', i) + 1;
                if (i == 0) {
                    throw new IllegalArgumentException("unclosed [ in " + expr);
                }
            } else if (c == '{') {
                // A selector with no metric name before it ({__name__="…"}): its matchers belong to no name.
                i = matchers(expr, i, new LinkedHashSet<>());
            } else if (c == '$') {
                i = skipVariable(expr, i);
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1)))) {
                while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.')) {
                    i++;
                }
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '_' || expr.charAt(i) == ':')) {
                    i++;
                }
                String word = expr.substring(start, i);
                int next = skipSpaces(expr, i);
                if (GROUPING.contains(word)) {
                    if (next < n && expr.charAt(next) == '(') {
                        int close = expr.indexOf(')', next);
                        if (close < 0) {
                            throw new IllegalArgumentException("unclosed ( after " + word + " in " + expr);
                        }
                        for (String label : expr.substring(next + 1, close).split(",")) {
                            if (!label.isBlank()) {
                                grouping.add(label.strip());
                            }
                        }
                        i = close + 1;
                    }
                } else if (KEYWORDS.contains(word) || (next < n && expr.charAt(next) == '(')) {
                    // a function, an aggregation or a keyword
                } else {
                    Set<String> labels = metrics.computeIfAbsent(word, key -> new LinkedHashSet<>());
                    if (next < n && expr.charAt(next) == '{') {
                        i = matchers(expr, next, labels);
                    }
                }
            } else {
                i++;
            }
        }
        return new PromQlNames(metrics, grouping);
    }

    /** The label names of the matchers in the braces at {@code open}; returns the index after the closing brace. */
    private static int matchers(String expr, int open, Set<String> labels) {
        int i = open + 1;
        int n = expr.length();
        int nameStart = -1;
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '}') {
                return i + 1;
            } else if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
            } else if (Character.isLetterOrDigit(c) || c == '_') {
                if (nameStart < 0) {
                    nameStart = i;
                }
                i++;
            } else {
                if (nameStart >= 0) {
                    labels.add(expr.substring(nameStart, i));
                    nameStart = -1;
                }
                i++;
            }
        }
        throw new IllegalArgumentException("unclosed { in " + expr);
    }

    private static int skipString(String expr, int open) {
        char quote = expr.charAt(open);
        int i = open + 1;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '\\' && quote != '`') {
                i += 2;
            } else if (c == quote) {
                return i + 1;
            } else {
                i++;
            }
        }
        throw new IllegalArgumentException("unclosed string in " + expr);
    }

    private static int skipVariable(String expr, int dollar) {
        int i = dollar + 1;
        if (i < expr.length() && expr.charAt(i) == '{') {
            int close = expr.indexOf('}', i);
            return close < 0 ? expr.length() : close + 1;
        }
        while (i < expr.length() && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '_')) {
            i++;
        }
        return i;
    }

    private static int skipSpaces(String expr, int i) {
        while (i < expr.length() && Character.isWhitespace(expr.charAt(i))) {
            i++;
        }
        return i;
    }
}
