package io.reactivedb.web;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationView;
import io.reactivedb.observation.DbStatementContext;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An observation handler of the shared web context (registered by Spring Boot as a bean) that,
 * while a test records, keeps each statement observation's request (its ancestor named
 * {@code http.server.requests}) and the server request
 * observations that ended; off, it supports no context and costs nothing.
 */
final class StatementSpans implements ObservationHandler<Observation.Context> {

    private static final String REQUEST = "http.server.requests";

    private volatile boolean recording;
    /** Per parent observation's context: its statement observations. */
    private final Map<Object, Integer> statementsByParent = Collections.synchronizedMap(new IdentityHashMap<>());
    private final Set<Object> requests = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private volatile int orphans;

    void start() {
        statementsByParent.clear();
        requests.clear();
        orphans = 0;
        recording = true;
    }

    void stop() {
        recording = false;
    }

    @Override
    public boolean supportsContext(Observation.Context context) {
        return recording;
    }

    @Override
    public void onStop(Observation.Context context) {
        if (context instanceof DbStatementContext) {
            // The request's observation is an ancestor: Spring Security's observations sit in between.
            ObservationView ancestor = context.getParentObservation();
            while (ancestor != null && !REQUEST.equals(ancestor.getContextView().getName())) {
                ancestor = ancestor.getContextView().getParentObservation();
            }
            if (ancestor == null) {
                orphans++;
            } else {
                statementsByParent.merge(ancestor.getContextView(), 1, Integer::sum);
            }
        } else if (REQUEST.equals(context.getName())) {
            requests.add(context);
        }
    }

    Map<Object, Integer> statementsByParent() {
        synchronized (statementsByParent) {
            return new IdentityHashMap<>(statementsByParent);
        }
    }

    Set<Object> requests() {
        synchronized (requests) {
            Set<Object> copy = Collections.newSetFromMap(new IdentityHashMap<>());
            copy.addAll(requests);
            return copy;
        }
    }

    int orphans() {
        return orphans;
    }
}
