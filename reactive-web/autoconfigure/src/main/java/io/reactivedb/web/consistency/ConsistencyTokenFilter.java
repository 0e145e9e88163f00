package io.reactivedb.web.consistency;

import io.reactivedb.web.ApiProblems;
import io.reactivedb.routing.ConsistencyTracker;
import io.reactivedb.routing.ConsistencyToken;
import io.reactivedb.web.autoconfigure.ReactiveDbProperties;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Read-your-writes across requests. For every {@code /api/} request, a {@link ConsistencyTracker}
 * rides in the Reactor Context, started from the request's consistency header when it has one;
 * after the handler's writes, the response carries the tracker's token (the primary's WAL
 * position after the last write) in the same header. A client that sends it back with its next
 * request reads from a replica that has replayed that far, or from the primary.
 *
 * <p>The header is set just before the response is committed, so a handler must finish its
 * writes before it starts its body (any {@code Mono} handler does).
 */
@Component
public class ConsistencyTokenFilter implements WebFilter, Ordered {

    private final String header;

    public ConsistencyTokenFilter(ReactiveDbProperties properties) {
        this.header = properties.getWeb().getConsistencyHeader();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!exchange.getRequest().getPath().value().startsWith("/api/")) {
            return chain.filter(exchange);
        }
        String text = exchange.getRequest().getHeaders().getFirst(header);
        @Nullable ConsistencyToken token = null;
        if (text != null && !text.isBlank()) {
            try {
                token = ConsistencyToken.parse(text);
            } catch (IllegalArgumentException e) {
                return badToken(exchange);
            }
        }
        ConsistencyTracker tracker = ConsistencyTracker.start(token);
        exchange.getResponse().beforeCommit(() -> {
            tracker.token().ifPresent(current -> exchange.getResponse().getHeaders().set(header, current.toString()));
            return Mono.empty();
        });
        return chain.filter(exchange).contextWrite(tracker::into);
    }

    private Mono<Void> badToken(ServerWebExchange exchange) {
        return ApiProblems.respond(exchange, HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                "header " + header + " is not a consistency token (expected a WAL position such as 0/16B3748)");
    }

    @Override
    public int getOrder() {
        // After Spring Security (-100), so refused requests never start a tracker.
        return 0;
    }
}
