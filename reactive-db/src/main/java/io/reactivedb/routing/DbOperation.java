package io.reactivedb.routing;

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

    private static final Object KEY = DbOperation.class;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

    private DbOperation() {
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

    static String of(ContextView context, String fallback) {
        return context.getOrDefault(KEY, fallback);
    }
}
