package io.reactivedb.web.demo;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The Spring Data side of the demo: {@code @Transactional(readOnly = true)} reads run on a
 * replica, other transactions on the primary (the router's {@code ConnectionFactory} decides when
 * the transaction begins).
 */
@Service
public class AccountDataService {

    private final AccountRepository accounts;

    public AccountDataService(AccountRepository accounts) {
        this.accounts = accounts;
    }

    @Transactional
    public Mono<Account> create(String owner, long balance) {
        return accounts.save(new AccountEntity(null, owner, balance, null))
                .flatMap(saved -> accounts.findById(saved.id()))
                .map(AccountEntity::toAccount);
    }

    @Transactional(readOnly = true)
    public Mono<Account> find(long id) {
        return accounts.findById(id).map(AccountEntity::toAccount);
    }

    @Transactional(readOnly = true)
    public Flux<Account> byOwner(String owner) {
        return accounts.findByOwnerOrderById(owner).map(AccountEntity::toAccount);
    }

    /** True: a read-only transaction ran on a replica. */
    @Transactional(readOnly = true)
    public Mono<Boolean> readOnlyTransactionOnReplica() {
        return accounts.servedByReplica();
    }

    /** False: a read-write transaction ran on the primary. */
    @Transactional
    public Mono<Boolean> readWriteTransactionOnReplica() {
        return accounts.servedByReplica();
    }
}
