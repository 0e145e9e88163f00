package io.reactivedb.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The checks every settings class shares: the value parsers of the {@link SettingsTable} and the
 * argument checks of the builders. Every failure is a {@link ConfigurationException} naming the
 * setting; a parser quotes the value (shortened), a builder check shows the typed value.
 */
public final class Checks {

    private static final Pattern INTEGER = Pattern.compile("\\d{1,10}");
    private static final Pattern LONG = Pattern.compile("\\d{1,19}");
    private static final Pattern DECIMAL = Pattern.compile("\\d{1,9}(\\.\\d{1,9})?");

    private Checks() {
    }

    // ---- builder checks ----

    /** {@code value}, when greater than zero: "must be > 0 but was PT0S". */
    public static Duration positive(String setting, Duration value) {
        return positive(setting, "", value);
    }

    /** As {@link #positive(String, Duration)}, the message starting with {@code what} ("maxTotalTime must be > 0 ..."). */
    public static Duration positive(String setting, String what, Duration value) {
        Objects.requireNonNull(value, what.isEmpty() ? setting : what);
        if (value.isNegative() || value.isZero()) {
            throw new ConfigurationException(setting, prefix(what) + "must be > 0 but was " + value);
        }
        return value;
    }

    /** {@code value}, when zero or more. */
    public static Duration notNegative(String setting, String what, Duration value) {
        Objects.requireNonNull(value, what.isEmpty() ? setting : what);
        if (value.isNegative()) {
            throw new ConfigurationException(setting, prefix(what) + "must be >= 0 but was " + value);
        }
        return value;
    }

    /** {@code value}, when at least {@code min}: "must be >= 1 but was 0". */
    public static int atLeast(String setting, int value, int min) {
        return atLeast(setting, "", value, min);
    }

    /** As {@link #atLeast(String, int, int)}, the message starting with {@code what}. */
    public static int atLeast(String setting, String what, int value, int min) {
        return (int) atLeast(setting, what, (long) value, min);
    }

    /** As {@link #atLeast(String, String, int, int)} for a {@code long}. */
    public static long atLeast(String setting, String what, long value, long min) {
        if (value < min) {
            throw new ConfigurationException(setting, prefix(what) + "must be >= " + min + " but was " + value);
        }
        return value;
    }

    /** {@code value}, when in {@code (min, max]} or, with {@code minInclusive}, {@code [min, max]}. */
    public static double between(String setting, String what, double value, double min, double max, boolean minInclusive) {
        boolean aboveMin = minInclusive ? value >= min : value > min;
        if (Double.isNaN(value) || !aboveMin || value > max) {
            throw new ConfigurationException(setting, prefix(what) + "must be " + (minInclusive ? ">= " : "> ") + format(min)
                    + (max == Double.MAX_VALUE ? "" : " and <= " + format(max)) + " but was " + value);
        }
        return value;
    }

    // ---- value parsers; the value is already trimmed and not empty ----

    /** Digits only, within {@code [min, max]}: "must be an integer >= 0 but was '-1'". */
    public static int integer(String setting, String value, int min, int max) {
        if (INTEGER.matcher(value).matches()) {
            long parsed = Long.parseLong(value);
            if (parsed >= min && parsed <= max) {
                return (int) parsed;
            }
        }
        String range = max == Integer.MAX_VALUE ? ">= " + min : "between " + min + " and " + max;
        throw new ConfigurationException(setting, "must be an integer " + range + " but was '" + Durations.quote(value) + "'");
    }

    /** A whole number, any sign; its range is the builder's check. */
    public static long wholeNumber(String setting, String value) {
        String digits = value.startsWith("-") ? value.substring(1) : value;
        if (LONG.matcher(digits).matches()) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                // beyond the range of a long: reported below
            }
        }
        throw new ConfigurationException(setting, "must be an integer but was '" + Durations.quote(value) + "'");
    }

    /** A decimal number such as {@code 2} or {@code 1.5}, within {@code [min, max]}. */
    public static double decimal(String setting, String value, double min, double max) {
        if (DECIMAL.matcher(value).matches()) {
            double parsed = Double.parseDouble(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        }
        String range = max == Double.MAX_VALUE ? ">= " + format(min) : "between " + format(min) + " and " + format(max);
        throw new ConfigurationException(setting, "must be a decimal number " + range + " (for example 2 or 1.5) but was '"
                + Durations.quote(value) + "'");
    }

    /** {@code true}/{@code false}, {@code 1}/{@code 0}, {@code yes}/{@code no}, any case. */
    public static boolean bool(String setting, String value) {
        switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "true": case "1": case "yes":
                return true;
            case "false": case "0": case "no":
                return false;
            default:
                throw new ConfigurationException(setting, "must be true, false, 1, 0, yes or no but was '" + Durations.quote(value) + "'");
        }
    }

    /** A duration of {@link Durations} greater than zero. */
    public static Duration positiveDuration(String setting, String value, java.time.temporal.ChronoUnit plainNumberUnit) {
        Duration parsed = Durations.parse(setting, value, plainNumberUnit);
        if (parsed.isZero()) {
            throw new ConfigurationException(setting, "must be greater than zero but was '" + Durations.quote(value) + "'");
        }
        return parsed;
    }

    /** {@code 2} for 2.0, {@code 1.5} for 1.5. */
    public static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }

    private static String prefix(String what) {
        return what.isEmpty() ? "" : what + " ";
    }
}
