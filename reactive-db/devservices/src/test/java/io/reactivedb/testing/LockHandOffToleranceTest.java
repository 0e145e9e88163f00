package io.reactivedb.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which parks the tests' BlockHound policy tolerates, from stacks as the JDK 17 lock code builds them (innermost first). */
class LockHandOffToleranceTest {

    private static final String PARK = "jdk.internal.misc.Unsafe#park";
    private static final String LOCK_SUPPORT = "java.util.concurrent.locks.LockSupport#park";
    private static final String AQS_ACQUIRE = "java.util.concurrent.locks.AbstractQueuedSynchronizer#acquire";

    @Test
    void reentrantLockAcquisitionIsALockHandOff() {
        assertThat(LockHandOffTolerance.isLockAcquisition(List.of("reactor.blockhound.BlockHoundRuntime#checkBlocking", PARK, LOCK_SUPPORT,
                AQS_ACQUIRE, AQS_ACQUIRE, "java.util.concurrent.locks.ReentrantLock$Sync#lock", "java.util.concurrent.locks.ReentrantLock#lock",
                "java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue#remove"))).isTrue();
    }

    @Test
    void readWriteAndStampedLocksAreLockHandOffs() {
        assertThat(LockHandOffTolerance.isLockAcquisition(List.of(PARK, LOCK_SUPPORT, AQS_ACQUIRE,
                "java.util.concurrent.locks.AbstractQueuedSynchronizer#acquireShared",
                "java.util.concurrent.locks.ReentrantReadWriteLock$ReadLock#lock"))).isTrue();
        assertThat(LockHandOffTolerance.isLockAcquisition(List.of(PARK, LOCK_SUPPORT,
                "java.util.concurrent.locks.StampedLock#acquireWrite", "java.util.concurrent.locks.StampedLock#writeLock",
                "io.netty.buffer.AdaptivePoolingAllocator$Magazine#free"))).isTrue();
    }

    @Test
    void conditionsLatchesSemaphoresAndSleepsAreNot() {
        // Waiting on a condition, and re-acquiring the lock after the signal, is a wait for an event.
        assertThat(LockHandOffTolerance.isLockAcquisition(List.of(PARK, "java.util.concurrent.locks.LockSupport#parkNanos",
                "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject#awaitNanos"))).isFalse();
        assertThat(LockHandOffTolerance.isLockAcquisition(List.of(PARK, LOCK_SUPPORT, AQS_ACQUIRE,
                "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionObject#await"))).isFalse();
        assertThat(LockHandOffTolerance.isLockAcquisition(List.of(PARK, LOCK_SUPPORT, AQS_ACQUIRE,
                "java.util.concurrent.locks.AbstractQueuedSynchronizer#acquireSharedInterruptibly",
                "java.util.concurrent.CountDownLatch#await"))).isFalse();
        assertThat(LockHandOffTolerance.isLockAcquisition(List.of(PARK, LOCK_SUPPORT, AQS_ACQUIRE,
                "java.util.concurrent.locks.AbstractQueuedSynchronizer#acquireSharedInterruptibly",
                "java.util.concurrent.Semaphore#acquire"))).isFalse();
        assertThat(LockHandOffTolerance.isLockAcquisition(List.of("java.lang.Thread#sleep", "io.example.Handler#handle"))).isFalse();
        assertThat(LockHandOffTolerance.isLockAcquisition(List.of(PARK, LOCK_SUPPORT))).isFalse();
    }
}
