package io.reactivedb.routing;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Names a unit of work for metrics and slow-query logs, through the Reactor Context:
 * {@code router.read(...).contextWrite(DbOperation.named("find-account"))}. Names are metric tag
 * values, so they must come from a small fixed set: never SQL, ids or user input.
 */
public final class DbOperation {

    private static final Object KEY = new Key("name");
    private static final Object TIMEOUT_KEY = new Key("timeout");
    private static final Object IDEMPOTENT_KEY = new Key("idempotent");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

    private DbOperation() {
    }

    /** A Context key of this class's own: no other library's entry can collide with it. */
    private record Key(String name) {
    }

    /**
     * @throws IllegalArgumentException when the name is not 1 to 64 of {@code [A-Za-z0-9_.:-]}
     */
    public static Function<Context, Context> named(String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("operation name must be 1 to 64 of [A-Za-z0-9_.:-] but was '" + name + "'");
        }
        return context -> context.put(KEY, name);
    }

    /**
     * Overrides the router's query timeout for the work this context reaches:
     * {@code .contextWrite(DbOperation.timeout(Duration.ofMillis(200)))}.
     *
     * @throws IllegalArgumentException when {@code timeout} is not positive
     */
    public static Function<Context, Context> timeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be > 0 but was " + timeout);
        }
        return context -> context.put(TIMEOUT_KEY, timeout);
    }

    /**
     * Declares writes in this context idempotent (applying them twice is harmless, for example an
     * upsert keyed by a client-generated id): a connection lost after such a write was sent is then
     * retried like a read instead of being reported as outcome-unknown.
     */
    public static Function<Context, Context> idempotent() {
        return context -> context.put(IDEMPOTENT_KEY, Boolean.TRUE);
    }

    static Duration timeoutOf(ContextView context, Duration fallback) {
        return context.getOrDefault(TIMEOUT_KEY, fallback);
    }

    static boolean isIdempotent(ContextView context) {
        return context.getOrDefault(IDEMPOTENT_KEY, Boolean.FALSE);
    }

    static String of(ContextView context, String fallback) {
        return context.getOrDefault(KEY, fallback);
    }
}
