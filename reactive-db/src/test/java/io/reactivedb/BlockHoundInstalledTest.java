package io.reactivedb;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Proves that BlockHound is active in this test run (installed by blockhound-junit-platform), so
 * that the database tests' silence about blocking calls means something.
 */
class BlockHoundInstalledTest {

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
    }
}
