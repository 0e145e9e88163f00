package io.reactivedb.routing;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.health.EndpointHealth;
import io.reactivedb.health.Lsn;
import io.reactivedb.internal.pool.Deadlines;
import io.reactivedb.internal.pool.EndpointPool;
import io.reactivedb.internal.resilience.EndpointBreakers;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** The router's endpoints, the primary first, then the replicas in configured order, each with its pool. */
final class Endpoints {

    private final Endpoint primary;
    private final List<Endpoint> replicas;
    private final List<Endpoint> all;

    private Endpoints(Endpoint primary, List<Endpoint> replicas) {
        this.primary = primary;
        this.replicas = List.copyOf(replicas);
        List<Endpoint> everyOne = new ArrayList<>();
        everyOne.add(primary);
        everyOne.addAll(replicas);
        this.all = List.copyOf(everyOne);
    }

    /** One endpoint with a pool (not yet connected) per configured server. */
    static Endpoints create(ReactiveDbSettings settings, Deadlines deadlines) {
        List<Endpoint> replicas = new ArrayList<>();
        for (EndpointSettings replica : settings.replicas()) {
            replicas.add(endpoint(replica, settings, deadlines));
        }
        return new Endpoints(endpoint(settings.primary(), settings, deadlines), replicas);
    }

    private static Endpoint endpoint(EndpointSettings endpoint, ReactiveDbSettings settings, Deadlines deadlines) {
        return new Endpoint(endpoint, EndpointPool.create(endpoint, settings.pool(), settings.session(), deadlines));
    }

    Endpoint primary() {
        return primary;
    }

    List<Endpoint> replicas() {
        return replicas;
    }

    List<Endpoint> all() {
        return all;
    }

    Optional<Endpoint> named(String name) {
        for (Endpoint endpoint : all) {
            if (endpoint.name().equals(name)) {
                return Optional.of(endpoint);
            }
        }
        return Optional.empty();
    }

    /** @throws IllegalArgumentException naming the known endpoints when none has that name */
    Endpoint require(String name) {
        return named(name).orElseThrow(() -> new IllegalArgumentException("no endpoint named '" + name + "'; known: "
                + all.stream().map(Endpoint::name).toList()));
    }

    int inFlight() {
        int total = 0;
        for (Endpoint endpoint : all) {
            total += endpoint.inFlight();
        }
        return total;
    }

    /** No unit in flight and no connection lent out anywhere. */
    boolean isIdle() {
        for (Endpoint endpoint : all) {
            if (endpoint.inFlight() > 0 || endpoint.poolStatistics().acquired() > 0) {
                return false;
            }
        }
        return true;
    }

    /** Each endpoint's state now, in the order of {@link #all()}, for the {@link EndpointSelector}. */
    List<EndpointState> states(@Nullable Endpoint writer, @Nullable EndpointBreakers breakers) {
        List<EndpointState> states = new ArrayList<>(all.size());
        for (Endpoint endpoint : all) {
            Optional<EndpointHealth> health = endpoint.health();
            states.add(new EndpointState(endpoint.name(), endpoint == writer, endpoint.isInRotation(), endpoint.isStalled(),
                    breakers == null || breakers.allowsCalls(endpoint.name()), health.flatMap(EndpointHealth::lagTime),
                    replayed(endpoint, health), endpoint.settings().weight(), endpoint.inFlight(),
                    endpoint.poolStatistics().saturated()));
        }
        return states;
    }

    /** The further of the last probe's position and one read since (see {@link Endpoint#hasReplayed}). */
    private static Optional<Lsn> replayed(Endpoint endpoint, Optional<EndpointHealth> health) {
        Optional<Lsn> probed = health.flatMap(EndpointHealth::walPosition);
        Optional<Lsn> read = endpoint.replayedSince();
        if (probed.isEmpty() || read.isEmpty()) {
            return probed.isPresent() ? probed : read;
        }
        return Optional.of(read.get().isAtLeast(probed.get()) ? read.get() : probed.get());
    }

    /** Index of {@code endpoint} in {@link #all()}, or {@link EndpointSelector#NONE}. */
    int indexOf(@Nullable Endpoint endpoint) {
        return endpoint == null ? EndpointSelector.NONE : all.indexOf(endpoint);
    }
}
