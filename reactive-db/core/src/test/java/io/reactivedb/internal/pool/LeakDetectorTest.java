package io.reactivedb.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.reactivedb.config.ConfigurationException;
import io.reactivedb.pool.LeakDetection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.util.context.Context;

/** The leak detector on virtual time: one WARN per connection held past the threshold, one INFO when it comes back. */
class LeakDetectorTest {

    private static final Duration THRESHOLD = Duration.ofSeconds(5);

    private final Logger logger = (Logger) LoggerFactory.getLogger(LeakDetector.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final VirtualTimeScheduler scheduler = VirtualTimeScheduler.create();
    private Level levelBefore;

    @BeforeEach
    void capture() {
        levelBefore = logger.getLevel();
        logger.setLevel(Level.INFO);
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
        logger.setLevel(levelBefore);
        scheduler.dispose();
    }

    @Test
    void aConnectionHeldPastTheThresholdGetsExactlyOneWarn() {
        LeakDetector detector = LeakDetector.create(LeakDetection.after(THRESHOLD), scheduler);
        detector.watch(detector.origin("read", Context.empty()), "replica-1");

        scheduler.advanceTimeBy(THRESHOLD.minusMillis(1));
        assertThat(appender.list).isEmpty();
        scheduler.advanceTimeBy(Duration.ofMillis(1));
        scheduler.advanceTimeBy(THRESHOLD.multipliedBy(20));

        assertThat(lines(Level.WARN)).hasSize(1);
        ILoggingEvent warn = lines(Level.WARN).get(0);
        assertThat(warn.getFormattedMessage())
                .startsWith("[replica-1] connection held for 5000 ms, over the leak detection threshold of 5000 ms, by read:")
                .contains("possibly leaked")
                .contains("DB_LEAK_DETECTION_STACK_TRACE")
                .doesNotContain("trace id");
        assertThat(warn.getThrowableProxy()).isNull();
        assertThat(lines(Level.INFO)).isEmpty();
    }

    @Test
    void aConnectionReleasedBeforeTheThresholdLogsNothing() {
        LeakDetector detector = LeakDetector.create(LeakDetection.after(THRESHOLD), scheduler);
        LeakDetector.Watch watch = detector.watch(detector.origin("write", Context.empty()), "primary");

        scheduler.advanceTimeBy(THRESHOLD.minusMillis(1));
        watch.returned();
        scheduler.advanceTimeBy(THRESHOLD.multipliedBy(10));

        assertThat(appender.list).isEmpty();
    }

    @Test
    void aReturnAfterTheWarnGetsOneInfoWithTheTimeHeld() {
        LeakDetector detector = LeakDetector.create(LeakDetection.after(THRESHOLD), scheduler);
        LeakDetector.Watch watch = detector.watch(detector.origin("transaction 'transfer'", Context.empty()), "primary");

        scheduler.advanceTimeBy(Duration.ofMillis(7_250));
        watch.returned();
        watch.returned();
        scheduler.advanceTimeBy(THRESHOLD.multipliedBy(10));

        assertThat(appender.list).extracting(ILoggingEvent::getLevel).containsExactly(Level.WARN, Level.INFO);
        assertThat(lines(Level.INFO).get(0).getFormattedMessage())
                .isEqualTo("[primary] the connection reported as possibly leaked came back after 7250 ms (transaction 'transfer')");
    }

    @Test
    void manyConnectionsEachGetTheirOwnWarnOnlyWhenHeldTooLong() {
        LeakDetector detector = LeakDetector.create(LeakDetection.after(THRESHOLD), scheduler);
        for (int i = 0; i < 100; i++) {
            LeakDetector.Watch watch = detector.watch(detector.origin("read", Context.empty()), "replica-" + (i % 2));
            if (i % 10 != 0) {
                watch.returned();
            }
        }
        scheduler.advanceTimeBy(THRESHOLD.multipliedBy(3));

        assertThat(lines(Level.WARN)).hasSize(10);
    }

    @Test
    void theWarnNamesTheTraceIdAndWhereTheConnectionWasAcquiredWhenAsked() {
        LeakDetection settings = LeakDetection.after(THRESHOLD)
                .withStackTraces(true)
                .withTraceIds(context -> context.<String>getOrEmpty("trace"));
        LeakDetector detector = LeakDetector.create(settings, scheduler);
        detector.watch(detector.origin("connection loan for writes 'write'", Context.of("trace", "4bf92f3577b34da6")), "primary");

        scheduler.advanceTimeBy(THRESHOLD);

        ILoggingEvent warn = lines(Level.WARN).get(0);
        assertThat(warn.getFormattedMessage()).contains("by connection loan for writes 'write', trace id 4bf92f3577b34da6:")
                .doesNotContain("DB_LEAK_DETECTION_STACK_TRACE");
        assertThat(warn.getThrowableProxy()).isNotNull();
        assertThat(warn.getThrowableProxy().getMessage()).isEqualTo("connection acquired here by connection loan for writes 'write'");
        assertThat(warn.getThrowableProxy().getStackTraceElementProxyArray())
                .anySatisfy(frame -> assertThat(frame.getSTEAsString()).contains(getClass().getSimpleName()));
    }

    @Test
    void offWatchesNothingAndSchedulesNothing() {
        LeakDetector detector = LeakDetector.create(LeakDetection.off(), scheduler);
        assertThat(detector.isOn()).isFalse();
        assertThat(detector.origin("read", Context.empty())).isSameAs(LeakDetector.Origin.NONE);
        assertThat(detector.watch(LeakDetector.Origin.NONE, "primary")).isSameAs(LeakDetector.Watch.NONE);
        assertThat(LeakDetection.off().withStackTraces(true).capturesStackTraces()).isFalse();

        scheduler.advanceTimeBy(Duration.ofDays(1));
        assertThat(appender.list).isEmpty();
    }

    @Test
    void settingsComeFromTheTableAndRefuseANonPositiveThreshold() {
        assertThat(LeakDetection.fromEnvironment(Map.of()).threshold()).isEmpty();
        LeakDetection on = LeakDetection.fromEnvironment(Map.of("DB_LEAK_DETECTION_THRESHOLD", "1500",
                "DB_LEAK_DETECTION_STACK_TRACE", "true"));
        assertThat(on.threshold()).isEqualTo(Optional.of(Duration.ofMillis(1500)));
        assertThat(on.capturesStackTraces()).isTrue();
        assertThat(LeakDetection.fromEnvironment(Map.of("DB_LEAK_DETECTION_THRESHOLD", "30s")).capturesStackTraces()).isFalse();
        assertThatThrownBy(() -> LeakDetection.fromEnvironment(Map.of("DB_LEAK_DETECTION_THRESHOLD", "0")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("DB_LEAK_DETECTION_THRESHOLD");
        assertThatThrownBy(() -> LeakDetection.after(Duration.ZERO))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("DB_LEAK_DETECTION_THRESHOLD");
    }

    private List<ILoggingEvent> lines(Level level) {
        return appender.list.stream().filter(event -> event.getLevel() == level).toList();
    }
}
