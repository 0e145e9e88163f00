package io.reactivedb.web.admin;

import java.util.List;
import java.util.Optional;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/** The paths of the admin surface, shared by the controllers, the security rules and the rate limit. */
final class AdminPaths {

    static final String RECONNECT = "/api/database/reconnect";
    static final String TEST = "/api/database/test";
    /** Admin operations: authenticated, rate limited, audited; absent unless enabled. */
    static final List<String> OPERATIONS = List.of(RECONNECT, TEST);

    static final String INFO = "/api/database/info";
    static final String SLOW_QUERIES = "/api/database/slow-queries";
    static final String ENDPOINTS = "/api/database/endpoints";
    static final String PROMETHEUS = "/actuator/prometheus";
    /** {@code /api/database/diagnostics/{kind}?endpoint=…}: the library's database diagnostics. */
    static final String DIAGNOSTICS = "/api/database/diagnostics/";
    /** Read-only diagnostics: public, authenticated or off by configuration. */
    static final List<String> READ_ONLY = List.of(INFO, SLOW_QUERIES, ENDPOINTS, PROMETHEUS, DIAGNOSTICS + "**");

    /*
     * Parsed with the parser the handler mapping and Spring Security's path matchers use, and
     * matched against the same decoded, parameter-free segments: "/api/database/%74est" and
     * "/api/database/test;x=1" are the test operation to the router, so they are to the limit
     * and the audit too. The raw path (getPath().value()) is not.
     */
    private static final List<PathPattern> OPERATION_PATTERNS = OPERATIONS.stream().map(PathPatternParser.defaultInstance::parse).toList();

    private AdminPaths() {
    }

    /** The admin operation ({@code reconnect}, {@code test}) the router dispatches this request to, if any. */
    static Optional<String> operation(ServerHttpRequest request) {
        PathContainer path = request.getPath().pathWithinApplication();
        for (int i = 0; i < OPERATION_PATTERNS.size(); i++) {
            if (OPERATION_PATTERNS.get(i).matches(path)) {
                String operation = OPERATIONS.get(i);
                return Optional.of(operation.substring(operation.lastIndexOf('/') + 1));
            }
        }
        return Optional.empty();
    }
}
