package io.reactivedb.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Finds names that are not settings of {@link SettingsTable} but look like misspelt ones: within
 * two edits of a known name, or equal to one but for case. The warnings hold names, never values.
 */
final class SettingsTypos {

    /** The names of the per-replica weights, {@code DB_READ_REPLICA_<n>_WEIGHT}. */
    static final Pattern WEIGHT = Pattern.compile("DB_READ_REPLICA_(\\d+)_WEIGHT");
    private static final int MAX_DISTANCE = 2;

    private SettingsTypos() {
    }

    static List<String> likelyTypos(Collection<String> names) {
        List<String> known = SettingsTable.all().stream().map(Setting::env).toList();
        List<String> warnings = new ArrayList<>();
        for (String name : new TreeSet<>(names)) {
            if (known.contains(name) || WEIGHT.matcher(name).matches()) {
                continue;
            }
            @Nullable String closest = closest(name.toUpperCase(Locale.ROOT).replaceAll("\\d+", "<n>"), known);
            if (closest != null) {
                warnings.add("Environment variable " + name + " is not a reactive-db setting and is ignored;"
                        + " did you mean " + closest + "?");
            }
        }
        return warnings;
    }

    private static @Nullable String closest(String upper, List<String> known) {
        @Nullable String closest = null;
        int closestDistance = MAX_DISTANCE + 1;
        for (String candidate : known) {
            int distance = Math.abs(candidate.length() - upper.length()) > MAX_DISTANCE
                    ? MAX_DISTANCE + 1 : editDistance(upper, candidate);
            if (distance < closestDistance) {
                closest = candidate;
                closestDistance = distance;
            }
        }
        return closest;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int best = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    best = Math.min(best, d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        return d[a.length()][b.length()];
    }
}
