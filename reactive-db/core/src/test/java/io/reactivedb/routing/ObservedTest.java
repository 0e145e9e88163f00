package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;

/**
 * A caller that sees a unit end must also see it counted out and reported: a metric read, or an
 * in-flight check, right after {@code block()} returns may not race with the report.
 */
class ObservedTest {

    @Test
    void anErrorIsReportedAndUncountedBeforeTheCallerSeesIt() {
        AtomicInteger inFlight = new AtomicInteger();
        List<String> reported = new ArrayList<>();
        List<String> seenAtTheCaller = new ArrayList<>();
        new Observed<>(Flux.<String>error(new IllegalStateException("boom")), inFlight, (signal, error) -> reported.add(signal.name()))
                .subscribe(new Recording(seenAtTheCaller, inFlight, reported));
        assertThat(seenAtTheCaller).containsExactly("error: in flight 0, reported [ON_ERROR]");
    }

    @Test
    void aCompletionIsReportedAndUncountedBeforeTheCallerSeesIt() {
        AtomicInteger inFlight = new AtomicInteger();
        List<String> reported = new ArrayList<>();
        List<String> seenAtTheCaller = new ArrayList<>();
        new Observed<>(Flux.just("a"), inFlight, (signal, error) -> reported.add(signal.name()))
                .subscribe(new Recording(seenAtTheCaller, inFlight, reported));
        assertThat(seenAtTheCaller).containsExactly("next a: in flight 1, reported []", "complete: in flight 0, reported [ON_COMPLETE]");
    }

    @Test
    void aCancelIsReportedOnceAndACountOnlyUnitIsUncountedBeforeItsEnd() {
        AtomicInteger inFlight = new AtomicInteger();
        List<String> reported = new ArrayList<>();
        new Observed<>(Flux.never(), inFlight, (signal, error) -> reported.add(signal.name())).subscribe().dispose();
        assertThat(inFlight).hasValue(0);
        assertThat(reported).containsExactly("CANCEL");

        List<String> seen = new ArrayList<>();
        new Observed<>(Flux.<String>error(new IllegalStateException("boom")), inFlight, null)
                .subscribe(new Recording(seen, inFlight, List.of()));
        assertThat(seen).containsExactly("error: in flight 0, reported []");
    }

    private record Recording(List<String> seen, AtomicInteger inFlight, List<String> reported) implements CoreSubscriber<String> {
        @Override
        public void onSubscribe(Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String value) {
            seen.add("next " + value + ": " + state());
        }

        @Override
        public void onError(Throwable error) {
            seen.add("error: " + state());
        }

        @Override
        public void onComplete() {
            seen.add("complete: " + state());
        }

        private String state() {
            return "in flight " + inFlight.get() + ", reported " + reported;
        }
    }
}
