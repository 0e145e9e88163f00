package io.reactivedb.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the duration values of the settings. Accepted forms:
 *
 * <ul>
 *   <li>a number with a unit: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 1d}; the unit is
 *       lower case, whitespace may separate it from the number, and the number may have a fraction
 *       ({@code 1.5s}). Precision beyond a nanosecond is cut off;</li>
 *   <li>ISO-8601 as read by {@link Duration#parse(CharSequence)}: {@code PT30S}, {@code pt1m30s},
 *       {@code P1DT2H};</li>
 *   <li>a plain non-negative integer ({@code 30}) in the unit the caller gives, which each setting
 *       documents.</li>
 * </ul>
 *
 * <p>Zero is accepted here; whether a setting allows it is the caller's rule. Negative values, empty
 * values, other units and values beyond {@link Duration}'s range fail with a
 * {@link ConfigurationException} that names the setting and lists the accepted forms.
 */
public final class Durations {

    private static final Pattern WITH_UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");
    private static final Pattern PLAIN = Pattern.compile("\\d+");
    private static final BigInteger NANOS_PER_SECOND = BigInteger.valueOf(1_000_000_000L);
    private static final BigInteger MAX_SECONDS = BigInteger.valueOf(Long.MAX_VALUE);
    private static final int MAX_QUOTED_LENGTH = 64;

    private Durations() {
    }

    /**
     * Parses {@code value} as a non-negative duration.
     *
     * @param setting         the setting's name, for the error message, for example {@code DB_POOL_TIMEOUT}
     * @param value           the text; surrounding whitespace is ignored
     * @param plainNumberUnit the unit of a plain integer such as {@code 30}; must have an exact
     *                        length ({@link ChronoUnit#DAYS} or shorter)
     * @return the duration, zero or positive
     * @throws ConfigurationException naming {@code setting} when the value is not a duration in an
     *                                accepted form, is negative, or does not fit in a {@link Duration}
     * @throws IllegalArgumentException when {@code plainNumberUnit} is longer than a day
     */
    public static Duration parse(String setting, String value, ChronoUnit plainNumberUnit) {
        Objects.requireNonNull(setting, "setting");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(plainNumberUnit, "plainNumberUnit");
        if (plainNumberUnit.isDurationEstimated() && plainNumberUnit != ChronoUnit.DAYS) {
            throw new IllegalArgumentException("plainNumberUnit must be DAYS or shorter but was " + plainNumberUnit);
        }
        String text = value.strip();
        if (text.isEmpty()) {
            throw invalid(setting, value, plainNumberUnit, "must not be empty");
        }
        if (text.startsWith("-")) {
            throw invalid(setting, value, plainNumberUnit, "must not be negative");
        }
        if (PLAIN.matcher(text).matches()) {
            return toDuration(setting, value, plainNumberUnit, new BigDecimal(text), plainNumberUnit.getDuration());
        }
        Matcher m = WITH_UNIT.matcher(text);
        if (m.matches()) {
            return toDuration(setting, value, plainNumberUnit, new BigDecimal(m.group(1)), unitLength(m.group(2)));
        }
        char first = text.charAt(0);
        if (first == 'P' || first == 'p' || first == '+') {
            Duration parsed;
            try {
                parsed = Duration.parse(text);
            } catch (DateTimeParseException e) {
                throw invalid(setting, value, plainNumberUnit, "is not a valid or representable ISO-8601 duration");
            }
            if (parsed.isNegative()) {
                throw invalid(setting, value, plainNumberUnit, "must not be negative");
            }
            return parsed;
        }
        throw invalid(setting, value, plainNumberUnit, "is not a duration");
    }

    private static Duration unitLength(String unit) {
        switch (unit) {
            case "ms":
                return ChronoUnit.MILLIS.getDuration();
            case "s":
                return ChronoUnit.SECONDS.getDuration();
            case "m":
                return ChronoUnit.MINUTES.getDuration();
            case "h":
                return ChronoUnit.HOURS.getDuration();
            case "d":
                return ChronoUnit.DAYS.getDuration();
            default:
                throw new IllegalStateException(unit);
        }
    }

    private static Duration toDuration(String setting, String value, ChronoUnit plainNumberUnit, BigDecimal amount,
            Duration unit) {
        BigDecimal unitNanos = new BigDecimal(BigInteger.valueOf(unit.getSeconds()).multiply(NANOS_PER_SECOND)
                .add(BigInteger.valueOf(unit.getNano())));
        BigInteger nanos = amount.multiply(unitNanos).setScale(0, RoundingMode.DOWN).toBigIntegerExact();
        BigInteger[] secondsAndNanos = nanos.divideAndRemainder(NANOS_PER_SECOND);
        if (secondsAndNanos[0].compareTo(MAX_SECONDS) > 0) {
            throw invalid(setting, value, plainNumberUnit, "is too large");
        }
        return Duration.ofSeconds(secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValueExact());
    }

    private static ConfigurationException invalid(String setting, String value, ChronoUnit plainNumberUnit, String problem) {
        return new ConfigurationException(setting, problem + "; it must be a non-negative duration: a plain integer in "
                + unitName(plainNumberUnit) + " (30), a number with one of the units ms, s, m, h, d (500ms, 1.5s, 2m, 1h, 1d)"
                + " or ISO-8601 (PT30S), but was '" + quote(value) + "'");
    }

    /** Shortens very long values so that a message stays readable. */
    static String quote(String value) {
        return value.length() <= MAX_QUOTED_LENGTH ? value : value.substring(0, MAX_QUOTED_LENGTH) + "…";
    }

    /** The name of a unit as the Javadoc and messages spell it: {@code seconds}, {@code milliseconds}. */
    static String unitName(ChronoUnit unit) {
        switch (unit) {
            case NANOS:
                return "nanoseconds";
            case MICROS:
                return "microseconds";
            case MILLIS:
                return "milliseconds";
            default:
                return unit.name().toLowerCase(Locale.ROOT);
        }
    }
}
