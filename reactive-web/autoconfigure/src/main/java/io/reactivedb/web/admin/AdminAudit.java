package io.reactivedb.web.admin;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.scheduler.Scheduler;

/**
 * The audit trail of the admin surface, one INFO line per event on the logger
 * {@value #LOGGER}: who (user or {@code anonymous}, and the client address), what (operation,
 * target, outcome), when (UTC). Never request bodies or credentials.
 */
@Component
public class AdminAudit {

    public static final String LOGGER = "io.reactivedb.web.audit";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    private final Scheduler clock;

    public AdminAudit(@Qualifier("reactiveDbWebScheduler") Scheduler clock) {
        this.clock = clock;
    }

    public void record(ServerWebExchange exchange, String user, String operation, String target, String outcome) {
        log.info("audit at={} user={} client={} operation={} target={} outcome={}",
                Instant.ofEpochMilli(clock.now(TimeUnit.MILLISECONDS)), safe(user), client(exchange), safe(operation), safe(target), safe(outcome));
    }

    static String client(ServerWebExchange exchange) {
        InetSocketAddress remote = exchange.getRequest().getRemoteAddress();
        return remote == null || remote.getAddress() == null ? "unknown" : remote.getAddress().getHostAddress();
    }

    /** Keeps one audit event on one line whatever a caller put in a name. */
    private static String safe(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), 100));
        for (int i = 0; i < value.length() && i < 100; i++) {
            char c = value.charAt(i);
            out.append(Character.isISOControl(c) || c == ' ' ? '_' : c);
        }
        return out.toString();
    }
}
