package io.reactivedb.web.admin;

import java.util.List;

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

    private AdminPaths() {
    }
}
