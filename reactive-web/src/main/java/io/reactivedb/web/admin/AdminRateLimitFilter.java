package io.reactivedb.web.admin;

import io.reactivedb.web.autoconfigure.ReactiveDbProperties;
import java.nio.charset.StandardCharsets;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Rate limit of the admin operations per client address, applied before authentication so that
 * password guessing is limited too: {@code reactive-db.admin.rate-limit-requests} per
 * {@code rate-limit-period} (default 10 per minute), then 429 with {@code Retry-After}.
 */
@Component
public class AdminRateLimitFilter implements WebFilter, Ordered {

    private final RateLimiter limiter;
    private final AdminAudit audit;

    public AdminRateLimitFilter(ReactiveDbProperties properties, @Qualifier("reactiveDbWebScheduler") Scheduler clock, AdminAudit audit) {
        ReactiveDbProperties.Admin admin = properties.getAdmin();
        this.limiter = new RateLimiter(admin.getRateLimitRequests(), admin.getRateLimitPeriod(), clock);
        this.audit = audit;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().value();
        if (!AdminPaths.OPERATIONS.contains(path)) {
            return chain.filter(exchange);
        }
        RateLimiter.Decision decision = limiter.tryAcquire(AdminAudit.client(exchange));
        if (decision.allowed()) {
            return chain.filter(exchange);
        }
        long seconds = Math.max(1, (decision.retryAfter().toMillis() + 999) / 1000);
        audit.record(exchange, "unknown", SecurityConfiguration.operationOf(path), "-", "refused: 429");
        exchange.getResponse().setStatusCode(HttpStatus.TOO_MANY_REQUESTS);
        exchange.getResponse().getHeaders().set("Retry-After", Long.toString(seconds));
        exchange.getResponse().getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        String body = "{\"type\":\"https://reactive-db.io/problems/rate-limited\",\"title\":\"Too many requests\",\"status\":429,"
                + "\"detail\":\"admin operations are rate limited; retry after " + seconds + " s\"}";
        DataBuffer buffer = exchange.getResponse().bufferFactory().wrap(body.getBytes(StandardCharsets.UTF_8));
        return exchange.getResponse().writeWith(Mono.just(buffer));
    }

    @Override
    public int getOrder() {
        // Before Spring Security's filter chain (order -100).
        return -200;
    }
}
