package io.reactivedb.internal.resilience;

import io.reactivedb.resilience.FailureClassifier;
import io.reactivedb.resilience.RetryListener;
import io.reactivedb.resilience.RetrySettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Retries a whole unit of work: on an error that the predicate accepts it waits the
 * {@link Backoff} delay on the given {@link Scheduler} and subscribes to the upstream again, so a
 * router chooses a fresh connection, and possibly a fresh endpoint, for the next attempt. The
 * operator defers per subscription (each subscription has its own attempts and time budget), so
 * {@code transform} suffices, and one operator can be made once and applied to many fluxes:
 *
 * <pre>{@code
 * router.read(session -> ...)
 *       .transform(RetryOperator.retry(settings, scheduler, FailureClassifier::isRetryable, RetryListener.logging()));
 * }</pre>
 *
 * <p>Rules:
 * <ul>
 *   <li>at most {@link RetrySettings#maxAttempts()} subscriptions in all, and no retry starts later
 *       than {@link RetrySettings#maxTotalTime()} after the first subscription (measured with
 *       {@code scheduler.now(MILLISECONDS)});</li>
 *   <li>once an element has reached the subscriber, an error is never retried: a partially consumed
 *       stream is not restarted silently, the error is passed on;</li>
 *   <li>when it gives up after more than one attempt, it fails with the last error and adds the
 *       earlier attempts' errors to it as suppressed exceptions (distinct instances only);</li>
 *   <li>cancelling during a delay cancels the delay; nothing is resubscribed;</li>
 *   <li>with a latest start in the subscriber's Context ({@link #withLatestStart(Context, LongSupplier)}),
 *       no retry starts at or after that moment: the error goes to the subscriber when the delay
 *       would reach it.</li>
 * </ul>
 */
public final class RetryOperator {

    /** The Context key of {@link #withLatestStart(Context, LongSupplier)}. */
    private static final Object LATEST_START = new Object() {
        @Override
        public String toString() {
            return "RetryOperator.latestStart";
        }
    };

    /** The Context key of the attempt's number, put into the context of every attempt after the first. */
    private static final Object ATTEMPT = new Object() {
        @Override
        public String toString() {
            return "RetryOperator.attempt";
        }
    };

    private RetryOperator() {
    }

    /**
     * The number of the attempt whose subscription has {@code context}: 1 for the first (and outside
     * any retry), 2 for the first retry, and so on.
     */
    public static int attemptOf(ContextView context) {
        Object attempt = context.getOrDefault(ATTEMPT, null);
        return attempt instanceof Integer number ? number : 1;
    }

    /**
     * {@code context} with a bound for the retries of the subscription it is given to: {@code latest}
     * gives, when a retry is decided, the moment in milliseconds of the operator's scheduler at or
     * after which no retry may start ({@link Long#MAX_VALUE}: none). A router uses it so that a unit
     * still waiting for a connection does not retry past its acquire deadline.
     */
    public static Context withLatestStart(Context context, LongSupplier latest) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(latest, "latest");
        return context.put(LATEST_START, latest);
    }

    /** {@link #retry(RetrySettings, Scheduler, Predicate, RetryListener)} retrying what {@link FailureClassifier#isRetryable(Throwable)} accepts. */
    public static <T> Function<Flux<T>, Flux<T>> retry(RetrySettings settings, Scheduler scheduler, RetryListener listener) {
        return retry(settings, scheduler, FailureClassifier::isRetryable, listener);
    }

    /**
     * The retry operator, with jitter drawn from {@link ThreadLocalRandom} (non-blocking).
     *
     * @param retryable which errors may be retried; typically {@link FailureClassifier#isRetryable(Throwable)}
     * @param listener  told about each retry before its delay
     */
    public static <T> Function<Flux<T>, Flux<T>> retry(RetrySettings settings, Scheduler scheduler, Predicate<Throwable> retryable,
                                                        RetryListener listener) {
        return retry(settings, scheduler, retryable, listener, () -> ThreadLocalRandom.current().nextDouble());
    }

    /**
     * As {@link #retry(RetrySettings, Scheduler, Predicate, RetryListener)}, with the jitter's
     * random values in {@code [0, 1]} from {@code random}, for tests.
     */
    public static <T> Function<Flux<T>, Flux<T>> retry(RetrySettings settings, Scheduler scheduler, Predicate<Throwable> retryable,
                                                        RetryListener listener, DoubleSupplier random) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(retryable, "retryable");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(random, "random");
        return upstream -> Flux.deferContextual(context -> attempt(upstream, upstream,
                new Attempts(scheduler.now(TimeUnit.MILLISECONDS), context.getOrDefault(LATEST_START, null)),
                settings, scheduler, retryable, listener, random));
    }

    /**
     * One attempt, with the decision about the next one in an {@code onErrorResume}: on the happy
     * path this costs two light operators per subscription, where {@code retryWhen} would set up a
     * companion publisher for every subscription.
     */
    private static <T> Flux<T> attempt(Flux<T> upstream, Flux<T> source, Attempts attempts, RetrySettings settings, Scheduler scheduler,
                                       Predicate<Throwable> retryable, RetryListener listener, DoubleSupplier random) {
        return source
                .doOnNext(element -> attempts.emitted = true)
                .onErrorResume(error -> {
                    int next = attempts.failed(error) + 1;
                    if (attempts.emitted || next > settings.maxAttempts() || !retryable.test(error)) {
                        return Mono.error(attempts.finalError(error));
                    }
                    Duration elapsed = Duration.ofMillis(scheduler.now(TimeUnit.MILLISECONDS) - attempts.startMillis);
                    @Nullable Duration delay = Backoff.delay(next, elapsed, settings, random).orElse(null);
                    if (delay == null || attempts.latestStart != null
                            && scheduler.now(TimeUnit.MILLISECONDS) + delay.toMillis() >= attempts.latestStart.getAsLong()) {
                        return Mono.error(attempts.finalError(error));
                    }
                    listener.onRetry(next, settings.maxAttempts(), FailureClassifier.classify(error), error, delay);
                    return Mono.delay(delay, scheduler)
                            .thenMany(Flux.defer(() -> attempt(upstream, upstream.contextWrite(Context.of(ATTEMPT, next)), attempts,
                                    settings, scheduler, retryable, listener, random)));
                });
    }

    /** The state of one subscription; signals are serialized, so plain fields made visible by volatile suffice. */
    private static final class Attempts {
        final long startMillis;
        final @Nullable LongSupplier latestStart;
        /** Created on the first failure: most units of work never fail. */
        @Nullable List<Throwable> errors;
        volatile boolean emitted;

        Attempts(long startMillis, @Nullable LongSupplier latestStart) {
            this.startMillis = startMillis;
            this.latestStart = latestStart;
        }

        /** Records the error of the attempt that just failed and returns that attempt's number. */
        synchronized int failed(Throwable error) {
            if (errors == null) {
                errors = new ArrayList<>();
            }
            errors.add(error);
            return errors.size();
        }

        synchronized Throwable finalError(Throwable last) {
            if (errors == null) {
                return last;
            }
            for (Throwable earlier : errors) {
                if (earlier != last && !containsSuppressed(last, earlier)) {
                    last.addSuppressed(earlier);
                }
            }
            return last;
        }

        private static boolean containsSuppressed(Throwable last, Throwable candidate) {
            for (Throwable s : last.getSuppressed()) {
                if (s == candidate) {
                    return true;
                }
            }
            return false;
        }
    }
}
