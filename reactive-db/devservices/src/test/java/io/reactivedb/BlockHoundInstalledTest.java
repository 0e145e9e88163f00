package io.reactivedb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.testing.Await;
import io.reactivedb.testing.LockHandOffTolerance;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Proves that BlockHound is active in this test run (installed by blockhound-junit-platform), so
 * that the database tests' silence about blocking calls means something, and that the tests'
 * policy ({@link LockHandOffTolerance}) tolerates a lock hand-off and nothing else.
 */
class BlockHoundInstalledTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void blockingOnANonBlockingThreadIsReported() {
        Mono<Object> sleepy = Mono.delay(Duration.ofMillis(1), Schedulers.parallel()).map(tick -> {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return tick;
        });
        assertThatThrownBy(sleepy::block).hasCauseInstanceOf(BlockingOperationError.class);
        assertThat(LockHandOffTolerance.reported()).anyMatch(call -> call.contains("sleep") && call.contains("parallel-"));
    }

    @Test
    void awaitingALatchOnANonBlockingThreadIsReported() {
        CountDownLatch never = new CountDownLatch(1);
        Mono<Boolean> waiting = Mono.fromCallable(() -> never.await(1, TimeUnit.MILLISECONDS)).subscribeOn(Schedulers.parallel());
        assertThatThrownBy(waiting::block).hasCauseInstanceOf(BlockingOperationError.class);
    }

    /**
     * A parallel thread queues for a lock the test thread holds: the park is tolerated, and the lock
     * still hands over normally afterwards (a throw from inside that park would leave the lock's
     * queue broken, and the later waiters parked for ever).
     */
    @Test
    void aContendedLockOnANonBlockingThreadIsToleratedAndStaysUsable() {
        ReentrantLock lock = new ReentrantLock();
        long before = LockHandOffTolerance.lockWaits();
        Mono<String> contender = Mono.fromCallable(() -> {
            lock.lock();
            try {
                return Thread.currentThread().getName();
            } finally {
                lock.unlock();
            }
        }).subscribeOn(Schedulers.parallel()).cache();
        lock.lock();
        try {
            contender.subscribe();
            Await.until("the parallel thread to queue for the lock", WAIT, lock::hasQueuedThreads);
        } finally {
            lock.unlock();
        }
        assertThat(contender.block(WAIT)).startsWith("parallel-");
        assertThat(LockHandOffTolerance.lockWaits()).isGreaterThan(before);

        // A second round through the same lock: its queue is intact.
        lock.lock();
        try {
            Mono<String> second = Mono.fromCallable(() -> {
                lock.lock();
                lock.unlock();
                return "handed over";
            }).subscribeOn(Schedulers.parallel()).cache();
            second.subscribe();
            Await.until("the second contender to queue", WAIT, lock::hasQueuedThreads);
            lock.unlock();
            assertThat(second.block(WAIT)).isEqualTo("handed over");
        } finally {
            if (lock.isHeldByCurrentThread()) {
                lock.unlock();
            }
        }
    }
}
