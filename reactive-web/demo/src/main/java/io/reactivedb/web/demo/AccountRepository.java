package io.reactivedb.web.demo;

import org.springframework.data.r2dbc.repository.Query;
import org.springframework.data.repository.reactive.ReactiveCrudRepository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Accounts on Spring Data R2DBC, over the router's {@code ConnectionFactory}. */
public interface AccountRepository extends ReactiveCrudRepository<AccountEntity, Long> {

    Flux<AccountEntity> findByOwnerOrderById(String owner);

    /** Which kind of server answered: true on a replica (in recovery). */
    @Query("SELECT pg_is_in_recovery()")
    Mono<Boolean> servedByReplica();
}
