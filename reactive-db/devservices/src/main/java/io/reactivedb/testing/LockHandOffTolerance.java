package io.reactivedb.testing;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * The tests' BlockHound policy: a non-blocking thread that parks while acquiring a
 * {@code ReentrantLock}, a {@code ReentrantReadWriteLock} or a {@code StampedLock} is waiting for
 * another thread's few instructions under that lock, as with a contended {@code synchronized}
 * block (which BlockHound never reports), so that park is counted, not reported. Every other
 * blocking call (sleep, I/O, a condition's await, a latch, a future's get, a {@code block()}) is
 * reported as before, by throwing {@link BlockingOperationError}.
 *
 * <p>Why not throw there too: the error is thrown from inside the lock's {@code park}, and the
 * JDK's lock code has no handler around it. The thread leaves its node in the lock's wait queue, the
 * next release wakes that dead node instead of a live waiter, and every later waiter parks for
 * ever. Seen in this build: a router shutdown cancelled its sweep timer from a {@code parallel}
 * thread, met contention on the scheduler's {@code DelayedWorkQueue} lock, and the error left that
 * worker wedged; every timer on it (timeouts, deadlines, delays) stopped, and the tests after it
 * hung. A false positive there is not a failed test but a broken JVM, and failures that look like
 * leaks.
 *
 * <p>Registered for test runs through {@code META-INF/services} in the test resources (and in the
 * test jar the other modules' tests use). Applications are unaffected: the library's own
 * integration ({@code io.reactivedb.internal.pool.DriverBlockHoundIntegration}) sets no callback.
 */
public final class LockHandOffTolerance implements BlockHoundIntegration {

    private static final LongAdder LOCK_WAITS = new LongAdder();
    /** The last blocking calls reported (thrown), for failure messages: an error thrown deep in a library can surface far away. */
    private static final ConcurrentLinkedDeque<String> REPORTED = new ConcurrentLinkedDeque<>();
    private static final int REPORTED_KEPT = 20;

    /** The lock classes whose acquisition is tolerated; a park reached from any other caller is reported. */
    private static final List<String> LOCKS = List.of(
            "java.util.concurrent.locks.ReentrantLock",
            "java.util.concurrent.locks.ReentrantReadWriteLock",
            "java.util.concurrent.locks.StampedLock");

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.blockingMethodCallback(method -> {
            if (isLockAcquisition(StackWalker.getInstance().walk(frames -> frames
                    .map(frame -> frame.getClassName() + "#" + frame.getMethodName())
                    .collect(Collectors.toList())))) {
                LOCK_WAITS.increment();
                return;
            }
            REPORTED.addLast(method + " on " + Thread.currentThread().getName());
            while (REPORTED.size() > REPORTED_KEPT) {
                REPORTED.pollFirst();
            }
            throw new BlockingOperationError(method);
        });
    }

    /** How many lock hand-offs on non-blocking threads were tolerated in this JVM so far. */
    public static long lockWaits() {
        return LOCK_WAITS.sum();
    }

    /** The last blocking calls BlockHound reported in this JVM (at most 20), oldest first, each with its thread. */
    public static List<String> reported() {
        return List.copyOf(REPORTED);
    }

    /**
     * Whether the park that BlockHound caught (the first {@code Unsafe#park} frame of {@code stack},
     * innermost first) waits for a lock: below {@code LockSupport} either a {@code StampedLock}'s
     * own acquire loop, or the queued synchronizer's {@code acquire} entered directly from one of
     * {@link #LOCKS}. A park inside a condition's await, a latch or a semaphore is not one.
     */
    static boolean isLockAcquisition(List<String> stack) {
        int i = stack.indexOf("jdk.internal.misc.Unsafe#park");
        if (i < 0) {
            return false;
        }
        i++;
        while (i < stack.size() && stack.get(i).startsWith("java.util.concurrent.locks.LockSupport#")) {
            i++;
        }
        if (i >= stack.size()) {
            return false;
        }
        String waiter = stack.get(i);
        if (waiter.equals("java.util.concurrent.locks.StampedLock#acquireWrite")
                || waiter.equals("java.util.concurrent.locks.StampedLock#acquireRead")) {
            return true;
        }
        if (!waiter.equals("java.util.concurrent.locks.AbstractQueuedSynchronizer#acquire")) {
            return false;
        }
        while (i < stack.size() && stack.get(i).startsWith("java.util.concurrent.locks.AbstractQueuedSynchronizer#")) {
            i++;
        }
        if (i >= stack.size()) {
            return false;
        }
        String caller = stack.get(i);
        return LOCKS.stream().anyMatch(lock -> caller.startsWith(lock + "#") || caller.startsWith(lock + "$"));
    }
}
