package io.reactivedb.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.web.demo.Account;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code docs/grafana/reactive-db.json} against this service's own {@code /actuator/prometheus}
 * after some traffic (router reads and writes, an NDJSON stream, Spring Data's
 * {@code /api/data/accounts}): every metric a query, an annotation or a template variable names is in
 * the scrape, with every label its matchers and groupings use. Nothing is allowed to be absent: the
 * series that have no event yet (retries, failovers, acquire timeouts) are registered at 0 by the
 * binder. The only names the scrape cannot show are {@link #TARGET_LABELS}.
 */
class GrafanaDashboardIT extends WebIT {

    private static final String TOKEN = "X-Consistency-Token";

    /** Labels Prometheus attaches to every series of a scrape target; a service's own scrape has none. */
    static final Set<String> TARGET_LABELS = Set.of("instance", "job");

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+\\S+(?:\\s+\\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)\\s*$");

    /** One query of the dashboard and where it is (panel or annotation title, and the target's refId). */
    record Query(String where, String expr) { }

    JsonNode dashboard;

    @BeforeEach
    void readDashboard() throws IOException {
        dashboard = JsonMapper.builder().build().readTree(Files.readString(dashboardFile()));
    }

    @Test
    void everyMetricAndLabelTheDashboardNamesIsInTheScrape() {
        traffic();
        Map<String, Set<String>> scrape = samples(scrape());
        assertThat(scrape).containsKey("reactivedb_query_seconds_bucket");

        List<Query> queries = queries(dashboard, "dashboard", new ArrayList<>());
        // 19 panels (one with two, one with four queries) and the failover annotation.
        assertThat(queries).hasSize(24);
        List<String> problems = new ArrayList<>();
        for (Query query : queries) {
            PromQlNames names = PromQlNames.of(query.expr());
            if (names.metrics().isEmpty()) {
                problems.add(query.where() + ": no metric found in " + query.expr());
            }
            Set<String> labelsOfItsMetrics = new HashSet<>(TARGET_LABELS);
            int reported = problems.size();
            names.metrics().forEach((metric, labels) -> {
                Set<String> present = scrape.get(metric);
                if (present == null) {
                    problems.add(query.where() + ": metric " + metric + " is not in the scrape");
                    return;
                }
                labelsOfItsMetrics.addAll(present);
                for (String label : labels) {
                    if (!present.contains(label) && !TARGET_LABELS.contains(label)) {
                        problems.add(query.where() + ": " + metric + " has no label " + label + " (it has " + present + ")");
                    }
                }
            });
            // A missing metric's labels are unknown: its groupings are not judged, so the report names the metric only.
            for (String label : problems.size() > reported ? Set.<String>of() : names.grouping()) {
                if (!labelsOfItsMetrics.contains(label)) {
                    problems.add(query.where() + ": grouping label " + label + " is on none of " + names.metrics().keySet());
                }
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            String where = "variable $" + variable.path("name").asString();
            String definition = variable.path("definition").asString();
            assertThat(variable.path("query").path("query").asString()).as(where + ": query and definition").isEqualTo(definition);
            Matcher labelValues = LABEL_VALUES.matcher(definition);
            if (!labelValues.matches()) {
                problems.add(where + ": not a label_values(metric, label) query: " + definition);
                continue;
            }
            Map<String, Set<String>> metrics = PromQlNames.of(labelValues.group(1)).metrics();
            String label = labelValues.group(2);
            if (metrics.size() != 1) {
                problems.add(where + ": names " + metrics.keySet() + ", not one metric");
                continue;
            }
            String metric = metrics.keySet().iterator().next();
            Set<String> present = scrape.get(metric);
            if (present == null) {
                problems.add(where + ": metric " + metric + " is not in the scrape");
            } else if (!present.contains(label) && !TARGET_LABELS.contains(label)) {
                problems.add(where + ": " + metric + " has no label " + label + " (it has " + present + ")");
            }
        }
        assertThat(problems).as("dashboard queries the scrape cannot answer").isEmpty();
    }

    /** What makes the file importable and readable: the datasource input, a description on every panel, unique ids. */
    @Test
    void everyPanelIsDescribedAndUsesTheDatasourceInput() {
        assertThat(dashboard.path("schemaVersion").asInt()).isEqualTo(39);
        assertThat(dashboard.path("__inputs").get(0).path("name").asString()).isEqualTo("DS_PROMETHEUS");
        assertThat(dashboard.path("templating").path("list")).extracting(v -> v.path("name").asString())
                .containsExactly("instance", "endpoint");
        Set<Integer> ids = new HashSet<>();
        List<String> rows = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asString();
            assertThat(ids.add(panel.path("id").asInt())).as("id of " + title + " unique").isTrue();
            if ("row".equals(panel.path("type").asString())) {
                rows.add(title);
                continue;
            }
            assertThat(panel.path("description").asString()).as("description of " + title).isNotBlank();
            assertThat(panel.path("datasource").path("uid").asString()).as("datasource of " + title).isEqualTo("${DS_PROMETHEUS}");
            assertThat(panel.path("targets")).as("queries of " + title).isNotEmpty()
                    .allSatisfy(target -> assertThat(target.path("datasource").path("uid").asString()).isEqualTo("${DS_PROMETHEUS}"));
        }
        assertThat(rows).containsExactly("Throughput and latency", "Connection pools", "Replication", "Health and resilience");
    }

    /** Reads carry the write's consistency token, so a replica that has not replayed the insert yet does not answer 404. */
    private void traffic() {
        for (int i = 0; i < 5; i++) {
            client.get().uri("/api/database/ping").exchange().expectStatus().isOk();
            readBack("/api/accounts", "dashboard", 10 + i);
            readBack("/api/data/accounts", "dashboard-data", 20 + i);
        }
        client.get().uri("/api/accounts?owner=dashboard&limit=10").accept(MediaType.APPLICATION_NDJSON).exchange()
                .expectStatus().isOk();
    }

    private void readBack(String path, String owner, long balance) {
        EntityExchangeResult<Account> created = client.post().uri(path).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("owner", owner, "balance", balance)).exchange()
                .expectStatus().isCreated().expectBody(Account.class).returnResult();
        String token = created.getResponseHeaders().getFirst(TOKEN);
        assertThat(created.getResponseBody()).isNotNull();
        assertThat(token).as("consistency token of POST " + path).isNotNull();
        client.get().uri(path + "/" + created.getResponseBody().id()).header(TOKEN, token).exchange().expectStatus().isOk();
    }

    private String scrape() {
        return client.get().uri("/actuator/prometheus").headers(WebIT::admin).exchange()
                .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
    }

    /** Sample name → every label name its samples carry. */
    static Map<String, Set<String>> samples(String scrape) {
        Map<String, Set<String>> samples = new HashMap<>();
        for (String line : scrape.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line.strip());
            assertThat(sample.matches()).as("a sample line: " + line).isTrue();
            Set<String> labels = samples.computeIfAbsent(sample.group(1), key -> new LinkedHashSet<>());
            if (sample.group(2) != null) {
                LABEL.matcher(sample.group(2)).results().forEach(label -> labels.add(label.group(1)));
            }
        }
        return samples;
    }

    /** Every {@code expr} under {@code node} (panels' targets and annotations), named by the nearest title or name. */
    static List<Query> queries(JsonNode node, String where, List<Query> found) {
        if (node.isObject()) {
            String here = node.has("title") ? node.path("title").asString()
                    : node.has("name") ? node.path("name").asString() : where;
            if (node.has("refId") && !node.has("title")) {
                here = where + " " + node.path("refId").asString();
            }
            JsonNode expr = node.get("expr");
            if (expr != null) {
                assertThat(expr.isString()).as(here + ": expr is a string").isTrue();
                found.add(new Query(here, expr.asString()));
            }
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                if (!property.getKey().equals("expr")) {
                    queries(property.getValue(), here, found);
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                queries(element, where, found);
            }
        }
        return found;
    }

    /** {@code docs/grafana/reactive-db.json} of the repository, found from the module's directory up. */
    static Path dashboardFile() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("docs/grafana/reactive-db.json");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("docs/grafana/reactive-db.json not found above " + Path.of("").toAbsolutePath());
    }
}
