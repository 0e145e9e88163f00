package io.reactivedb.web.admin;

import io.reactivedb.web.ApiProblems;
import io.reactivedb.web.autoconfigure.ReactiveDbProperties;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Rate limits per client address, applied before authentication, each
 * {@code reactive-db.admin.rate-limit-requests} per {@code rate-limit-period} (default 10 per
 * minute), then 429 with {@code Retry-After}:
 *
 * <ul>
 *   <li>admin operations: every call, whoever makes it;</li>
 *   <li>failed authentications, on every route: a request with credentials answered 401 takes one
 *       from its client's allowance; with none left, every request of that client that carries
 *       credentials is refused before its password is checked, the right password included.
 *       Requests without credentials are not counted (public routes stay open), nor are
 *       successful ones (a scraper is not throttled).</li>
 * </ul>
 *
 * <p>Paths are matched as the router dispatches them ({@link AdminPaths#operation}), so an
 * encoded or parameterised spelling of an operation is limited and audited as the operation.
 */
@Component
public class AdminRateLimitFilter implements WebFilter, Ordered {

    static final String AUTHENTICATE = "authenticate";

    private final RateLimiter operations;
    private final RateLimiter failedAuthentications;
    private final AdminAudit audit;

    public AdminRateLimitFilter(ReactiveDbProperties properties, @Qualifier("reactiveDbWebScheduler") Scheduler clock, AdminAudit audit) {
        ReactiveDbProperties.Admin admin = properties.getAdmin();
        this.operations = new RateLimiter(admin.getRateLimitRequests(), admin.getRateLimitPeriod(), clock);
        this.failedAuthentications = new RateLimiter(admin.getRateLimitRequests(), admin.getRateLimitPeriod(), clock);
        this.audit = audit;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String client = AdminAudit.client(exchange);
        Optional<String> operation = AdminPaths.operation(exchange.getRequest());
        if (operation.isPresent()) {
            RateLimiter.Decision decision = operations.tryAcquire(client);
            if (!decision.allowed()) {
                return refuse(exchange, operation.get(), decision, "admin operations are rate limited");
            }
        }
        if (!exchange.getRequest().getHeaders().containsHeader(HttpHeaders.AUTHORIZATION)) {
            return chain.filter(exchange);
        }
        RateLimiter.Decision decision = failedAuthentications.peek(client);
        if (!decision.allowed()) {
            return refuse(exchange, operation.orElse(AUTHENTICATE), decision, "too many failed authentications from this client");
        }
        exchange.getResponse().beforeCommit(() -> {
            HttpStatusCode status = exchange.getResponse().getStatusCode();
            if (status != null && status.value() == HttpStatus.UNAUTHORIZED.value()) {
                failedAuthentications.tryAcquire(client);
            }
            return Mono.empty();
        });
        return chain.filter(exchange);
    }

    private Mono<Void> refuse(ServerWebExchange exchange, String operation, RateLimiter.Decision decision, String why) {
        long seconds = Math.max(1, (decision.retryAfter().toMillis() + 999) / 1000);
        audit.record(exchange, "unknown", operation, "-", "refused: 429");
        exchange.getResponse().getHeaders().set("Retry-After", Long.toString(seconds));
        return ApiProblems.respond(exchange, HttpStatus.TOO_MANY_REQUESTS, "rate-limited", "Too many requests",
                why + "; retry after " + seconds + " s");
    }

    @Override
    public int getOrder() {
        // Before Spring Security's filter chain (order -100).
        return -200;
    }
}
