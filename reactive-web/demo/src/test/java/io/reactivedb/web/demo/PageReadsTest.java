package io.reactivedb.web.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

class PageReadsTest {

    private final PageReads reads = new PageReads(2);
    private final AtomicInteger started = new AtomicInteger();

    private Mono<String> read(Sinks.One<String> result) {
        return Mono.defer(() -> {
            started.incrementAndGet();
            return result.asMono();
        });
    }

    @Test
    void aReadBeyondTheLimitWaitsForATurnAndGetsTheOneAFinishedReadGivesBack() {
        Sinks.One<String> first = Sinks.one();
        Sinks.One<String> second = Sinks.one();
        Sinks.One<String> third = Sinks.one();
        reads.run(read(first)).subscribe();
        reads.run(read(second)).subscribe();
        reads.run(read(third)).subscribe();
        assertThat(started).hasValue(2);
        assertThat(reads.started()).as("reads that got their turn").isEqualTo(2);
        assertThat(reads.running()).isEqualTo(2);

        first.tryEmitValue("done");
        assertThat(started).hasValue(3);
        assertThat(reads.started()).isEqualTo(3);
        assertThat(reads.running()).isEqualTo(2);

        second.tryEmitError(new IllegalStateException("failed"));
        third.tryEmitValue("done");
        assertThat(reads.running()).isZero();
    }

    @Test
    void aCancelledWaiterLeavesTheQueueAndACancelledReadGivesItsTurnBack() {
        Sinks.One<String> first = Sinks.one();
        Sinks.One<String> second = Sinks.one();
        Disposable running = reads.run(read(first)).subscribe();
        reads.run(read(second)).subscribe();
        Disposable waiter = reads.run(read(Sinks.one())).subscribe();
        waiter.dispose();
        running.dispose();
        assertThat(reads.running()).isEqualTo(1);
        assertThat(started).hasValue(2);

        second.tryEmitValue("done");
        assertThat(reads.running()).isZero();
        assertThat(reads.run(Mono.just("next")).block()).isEqualTo("next");
    }

    @Test
    void aLimitBelowOneIsRefusedNamingTheProperty() {
        assertThatThrownBy(() -> new PageReads(0)).hasMessageContaining("reactive-db.demo.max-concurrent-page-reads");
    }
}
