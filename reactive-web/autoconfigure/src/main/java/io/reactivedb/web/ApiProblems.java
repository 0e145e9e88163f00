package io.reactivedb.web;

import io.reactivedb.error.DbOutcomeUnknownException;
import io.reactivedb.pool.DbPoolExhaustedException;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.error.DbTimeoutException;
import io.reactivedb.error.DbUnavailableException;
import io.reactivedb.error.ReactiveDbException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.json.JsonMapper;

/**
 * RFC 9457 problem details for every error of the HTTP API: 400 for a bad request (Spring's own
 * input errors included, through {@link ResponseEntityExceptionHandler}, and a value the server
 * refused as bad data, SQLSTATE class {@code 22}), 404 for an unknown id, 409 for a constraint
 * violation or a {@link Conflict} such as a balance out of range, 503 when no server can take the
 * work. Bodies name the constraint or the field, never SQL, bound values or server internals.
 */
@RestControllerAdvice
public class ApiProblems extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiProblems.class);
    private static final String TYPE_BASE = "https://reactive-db.io/problems/";

    /** A request that fails validation: 400 naming the field. */
    /** A JSON input error whose message states the rule the value broke; it is shown as is. */
    public interface RuleRefusal {
    }

    public static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String field;

        public BadRequest(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** An id that names nothing: 404. */
    public static final class NotFound extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NotFound(String message) {
            super(message);
        }
    }

    /** A request that is well formed but conflicts with the current state: 409 with its own type and title. */
    public static final class Conflict extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String field;
        private final String type;
        private final String title;

        public Conflict(String field, String type, String title, String message) {
            super(message);
            this.field = field;
            this.type = type;
            this.title = title;
        }

        public String field() {
            return field;
        }
    }

    @ExceptionHandler(Conflict.class)
    ResponseEntity<ProblemDetail> conflict(Conflict e) {
        ProblemDetail problem = problem(HttpStatus.CONFLICT, e.type, e.title, e.getMessage());
        problem.setProperty("field", e.field());
        return ResponseEntity.status(HttpStatus.CONFLICT).body(problem);
    }

    @ExceptionHandler(BadRequest.class)
    ResponseEntity<ProblemDetail> badRequest(BadRequest e) {
        ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", e.getMessage());
        problem.setProperty("field", e.field());
        return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(problem);
    }

    /**
     * A body that does not read: when Jackson names the field (a value of the wrong JSON type), a
     * 400 naming it, "amount must be a JSON integer", instead of Spring's "Failed to read HTTP
     * message"; the value itself is never echoed. Anything else as Spring answers it.
     */
    @Override
    protected Mono<ResponseEntity<Object>> handleServerWebInputException(ServerWebInputException ex, HttpHeaders headers,
                                                                        HttpStatusCode status, ServerWebExchange exchange) {
        for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
            if (cause instanceof MismatchedInputException mismatch) {
                String field = field(mismatch.getPath());
                if (field.isEmpty()) {
                    break;
                }
                String rule = mismatch instanceof RuleRefusal ? mismatch.getOriginalMessage() : "has the wrong type";
                ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", field + " " + rule);
                problem.setProperty("field", field);
                return Mono.just(ResponseEntity.status(HttpStatus.BAD_REQUEST).headers(headers).body(problem));
            }
        }
        return super.handleServerWebInputException(ex, headers, status, exchange);
    }

    /** {@code owner}, {@code items[2].amount}: the JSON path of a field, empty when Jackson gave none. */
    private static String field(List<JacksonException.Reference> path) {
        StringBuilder field = new StringBuilder();
        for (JacksonException.Reference reference : path) {
            if (reference.getPropertyName() != null) {
                field.append(field.isEmpty() ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                field.append('[').append(reference.getIndex()).append(']');
            }
        }
        return field.toString();
    }

    @ExceptionHandler(NotFound.class)
    ResponseEntity<ProblemDetail> notFound(NotFound e) {
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(problem(HttpStatus.NOT_FOUND, "not-found", "Not found", e.getMessage()));
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ResponseEntity<ProblemDetail> illegalArgument(IllegalArgumentException e) {
        // The router's own argument checks (an unknown endpoint name, a bad operation name).
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(problem(HttpStatus.NOT_FOUND, "not-found", "Not found", e.getMessage()));
    }

    @ExceptionHandler(DbQueryException.class)
    ResponseEntity<ProblemDetail> query(DbQueryException e) {
        String sqlState = e.sqlState().orElse("");
        if (sqlState.startsWith("23")) {
            ProblemDetail problem = problem(HttpStatus.CONFLICT, "constraint-violation", "Constraint violation",
                    "the change conflicts with " + e.constraint().map(c -> "constraint " + c).orElse("a constraint") + "; nothing was written");
            e.constraint().ifPresent(c -> problem.setProperty("constraint", c));
            problem.setProperty("sqlState", sqlState);
            return ResponseEntity.status(HttpStatus.CONFLICT).body(problem);
        }
        if (sqlState.startsWith("22")) {
            // Data exceptions: a value the server cannot take (out of range, bad text or format),
            // which came from the request. The server's message may quote the value: not echoed.
            ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "invalid-value", "Invalid value",
                    "the database refused a value of the request (SQLSTATE " + sqlState + "); nothing was written");
            problem.setProperty("sqlState", sqlState);
            return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(problem);
        }
        log.warn("Query failed with SQLSTATE {} on {}", sqlState, e.endpoint().orElse("?"));
        return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR)
                .body(problem(HttpStatus.INTERNAL_SERVER_ERROR, "query-failed", "Query failed", "the database rejected the statement (SQLSTATE " + sqlState + ")"));
    }

    @ExceptionHandler({DbUnavailableException.class, DbPoolExhaustedException.class, DbTimeoutException.class})
    ResponseEntity<ProblemDetail> unavailable(ReactiveDbException e) {
        ProblemDetail problem = problem(HttpStatus.SERVICE_UNAVAILABLE, "database-unavailable", "Database unavailable",
                "no database server could take the work in time; nothing was written" + (e.isRetrySafe() ? "; retrying is safe" : ""));
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header("Retry-After", "1").body(problem);
    }

    @ExceptionHandler(DbOutcomeUnknownException.class)
    ResponseEntity<ProblemDetail> outcomeUnknown(DbOutcomeUnknownException e) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(problem(HttpStatus.SERVICE_UNAVAILABLE, "outcome-unknown",
                "Outcome unknown", "the connection broke after the change was sent; it may or may not have been applied"));
    }

    @ExceptionHandler(ReactiveDbException.class)
    ResponseEntity<ProblemDetail> database(ReactiveDbException e) {
        log.warn("Database failure: {}", e.getClass().getSimpleName());
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(problem(HttpStatus.SERVICE_UNAVAILABLE, "database-error",
                "Database error", "the database could not complete the work" + (e.isRetrySafe() ? "; retrying is safe" : "")));
    }

    static ProblemDetail problem(HttpStatus status, String type, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(TYPE_BASE + type));
        problem.setTitle(title);
        return problem;
    }

    /**
     * Answers the exchange with a problem, as the handlers here do, for a web filter that refuses a
     * request before any controller (and its message codecs) is reached.
     */
    public static Mono<Void> respond(ServerWebExchange exchange, HttpStatus status, String type, String title, String detail) {
        ProblemDetail problem = problem(status, type, title, detail);
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("type", String.valueOf(problem.getType()));
        fields.put("title", problem.getTitle());
        fields.put("status", problem.getStatus());
        fields.put("detail", problem.getDetail());
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(status);
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(JsonMapper.shared().writeValueAsBytes(fields))));
    }
}
