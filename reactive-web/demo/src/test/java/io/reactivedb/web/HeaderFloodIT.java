package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import reactor.netty.http.client.HttpClient;

/** A request with 2,000 headers is refused without a log line per header. */
class HeaderFloodIT extends WebIT {

    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();

    @BeforeEach
    void capture() {
        captured.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(captured);
    }

    @AfterEach
    void release() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(captured);
    }

    @Test
    void twoThousandHeadersWriteAtMostAFewWarnings() {
        for (String path : new String[] {"/api/database/ping", "/api/database/info"}) {
            int status = HttpClient.create().baseUrl("http://127.0.0.1:" + port).responseTimeout(WAIT)
                    .headers(h -> {
                        for (int i = 0; i < 2_000; i++) {
                            h.add("X-Flood-" + i, "v");
                        }
                    })
                    .get().uri(path)
                    .responseSingle((response, body) -> body.asString().defaultIfEmpty("").thenReturn(response.status().code()))
                    .block(WAIT);
            System.out.printf("header flood: %s answered %d%n", path, status);
            assertThat(status).isBetween(400, 499);
        }
        List<ILoggingEvent> warnings;
        synchronized (captured) {
            warnings = captured.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
        }
        Map<String, Long> byLogger = warnings.stream().collect(Collectors.groupingBy(ILoggingEvent::getLoggerName, Collectors.counting()));
        // A WARN event whose message lists the request's headers is one line per header in the log.
        long lines = warnings.stream().mapToLong(e -> e.getFormattedMessage().lines().count()).sum();
        System.out.printf("header flood: %d WARN events, %d log lines for two requests, by logger %s%n", warnings.size(), lines, byLogger);
        warnings.stream().map(ILoggingEvent::getFormattedMessage).map(m -> m.lines().findFirst().orElse(""))
                .forEach(line -> System.out.println("header flood: e.g. " + line));
        assertThat(lines).isLessThanOrEqualTo(4);
        assertThat(warnings).noneMatch(e -> e.getFormattedMessage().contains("X-Flood"));
    }
}
