package io.reactivedb.internal.reactive;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;
import reactor.core.publisher.SignalType;
import reactor.util.context.Context;

/**
 * The subscriber of an operator that passes every element through unchanged and acts on how the
 * subscription ends. It holds the upstream {@link Subscription}, hands itself downstream as the
 * subscription, forwards requests and cancels upstream, and lets one end through: the first of
 * {@code onError}, {@code onComplete}, {@code cancel} and {@link #fail(Throwable)}. A terminal
 * signal after the end is dropped (an error to {@link Operators#onErrorDropped}); a cancel always
 * goes upstream.
 *
 * <p>{@link #ended(SignalType, Throwable)} is told of the end once: for a terminal signal before it
 * goes downstream, for a cancel after it has gone upstream. The subscriber's {@link Context} is read
 * once, at construction: a Context is fixed at subscription, and a lookup through the chain on each
 * call costs a walk over every operator below. Not fuseable: a fusing operator above sees a plain
 * {@link Subscription} and never asks for a queue.
 *
 * @param <T> the element type
 */
public abstract class PassThroughSubscriber<T> implements CoreSubscriber<T>, Subscription {

    private static final VarHandle ENDED;

    static {
        try {
            ENDED = MethodHandles.lookup().findVarHandle(PassThroughSubscriber.class, "ended", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The downstream subscriber. */
    protected final CoreSubscriber<? super T> actual;
    private final Context context;
    private @Nullable Subscription upstream;
    @SuppressWarnings("unused") // through ENDED
    private volatile boolean ended;

    protected PassThroughSubscriber(CoreSubscriber<? super T> actual) {
        this.actual = actual;
        this.context = actual.currentContext();
    }

    @Override
    public final Context currentContext() {
        return context;
    }

    @Override
    public final void onSubscribe(Subscription subscription) {
        if (Operators.validate(upstream, subscription)) {
            upstream = subscription;
            subscribed();
        }
    }

    /** Called once the upstream subscription is held; hands this subscription downstream. */
    protected void subscribed() {
        actual.onSubscribe(this);
    }

    @Override
    public void onNext(T value) {
        actual.onNext(value);
    }

    @Override
    public final void onError(Throwable error) {
        if (tryEnd()) {
            ended(SignalType.ON_ERROR, error);
            actual.onError(error);
        } else {
            Operators.onErrorDropped(error, context);
        }
    }

    @Override
    public final void onComplete() {
        if (tryEnd()) {
            ended(SignalType.ON_COMPLETE, null);
            actual.onComplete();
        }
    }

    @Override
    public final void request(long n) {
        Subscription s = upstream;
        if (s != null) {
            s.request(n);
        }
    }

    @Override
    public final void cancel() {
        boolean first = tryEnd(); // first: an element the cancel shakes loose finds the subscription ended
        try {
            cancelUpstream();
        } finally {
            if (first) {
                ended(SignalType.CANCEL, null);
            }
        }
    }

    /**
     * Ends the subscription from the side, unless it has ended: cancels the upstream, then fails the
     * subscriber with {@code error}. The subscriber must tolerate a call from another thread than its
     * signals' (wrap it in {@link Operators#serialize} when that can happen).
     *
     * @return whether it ended the subscription
     */
    protected final boolean fail(Throwable error) {
        if (!tryEnd()) {
            return false;
        }
        cancelUpstream();
        ended(SignalType.ON_ERROR, error);
        actual.onError(error);
        return true;
    }

    /** Marks the subscription ended; true for the one caller that ended it. */
    protected final boolean tryEnd() {
        return ENDED.compareAndSet(this, false, true);
    }

    /** Whether the subscription has ended (terminated, cancelled or failed from the side). */
    protected final boolean isEnded() {
        return (boolean) ENDED.getVolatile(this);
    }

    /**
     * Told once how the subscription ended; {@code error} is set for {@link SignalType#ON_ERROR}.
     * Does nothing by default.
     */
    protected void ended(SignalType signal, @Nullable Throwable error) {
    }

    private void cancelUpstream() {
        Subscription s = upstream;
        if (s != null) {
            s.cancel();
        }
    }
}
