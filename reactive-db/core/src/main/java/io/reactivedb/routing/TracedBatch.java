package io.reactivedb.routing;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import io.reactivedb.tracing.SqlOperation;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Flux;

/**
 * A batch of a traced lease, one span for the whole batch ({@code BATCH <keyword>}); the
 * statements are sent in one simple query when the execution is subscribed, the first one with the
 * trace comment when that is on.
 */
final class TracedBatch implements Batch {

    private final LeaseTracing tracing;
    private final Connection connection;
    private final List<String> statements = new ArrayList<>();

    TracedBatch(LeaseTracing tracing, Connection connection) {
        this.tracing = tracing;
        this.connection = connection;
    }

    @Override
    public Batch add(String sql) {
        statements.add(sql);
        return this;
    }

    @Override
    public Flux<Result> execute() {
        List<String> recorded = List.copyOf(statements);
        if (recorded.isEmpty()) {
            return Flux.from(connection.createBatch().execute());
        }
        String text = String.join("; ", recorded);
        return tracing.traced(text, SqlOperation.ofBatch(recorded), recorded.size(), commented -> {
            Batch batch = connection.createBatch();
            batch.add(commented.substring(0, commented.length() - text.length()) + recorded.get(0));
            recorded.subList(1, recorded.size()).forEach(batch::add);
            return batch.execute();
        });
    }
}
