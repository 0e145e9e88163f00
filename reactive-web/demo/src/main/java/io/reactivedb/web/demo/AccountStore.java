package io.reactivedb.web.demo;

import io.r2dbc.spi.Row;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.routing.DbOperation;
import io.reactivedb.routing.DbSession;
import io.reactivedb.routing.Isolation;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.routing.ReadConsistency;
import io.reactivedb.routing.TransactionOptions;
import io.reactivedb.web.ApiProblems.Conflict;
import io.reactivedb.web.ApiProblems.NotFound;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Accounts and transfers on the router's own API. Reads are read-your-writes: with a consistency
 * token in the context (from the request header), only replicas that have replayed the caller's
 * last write serve them, else the primary; without one, any replica in rotation.
 */
@Repository
public class AccountStore {

    /**
     * Rows read per page of a listing: one page is read into memory with one short unit of work,
     * whose connection is back in the pool before the first row goes to the client.
     */
    static final int LIST_PAGE = 500;

    private static final String COLUMNS = "id, owner, balance, created_at";

    private final ReactiveDbRouter router;
    private final PageReads pageReads;

    public AccountStore(ReactiveDbRouter router, PageReads pageReads) {
        this.router = router;
        this.pageReads = pageReads;
    }

    public Mono<Account> create(String owner, long balance) {
        return router.write(session -> session.query("INSERT INTO account (owner, balance) VALUES ($1, $2) RETURNING " + COLUMNS,
                        AccountStore::account, owner, balance))
                .single()
                .contextWrite(DbOperation.named("account.create"));
    }

    public Mono<Account> find(long id) {
        return router.read(ReadConsistency.readYourWrites(),
                        session -> session.query("SELECT " + COLUMNS + " FROM account WHERE id = $1", AccountStore::account, id))
                .singleOrEmpty()
                .contextWrite(DbOperation.named("account.find"));
    }

    /**
     * Accounts with an id above {@code afterId}, in id order, at most {@code limit}, a page of up to
     * {@link #LIST_PAGE} at a time (keyset: the next page starts after the last id sent). Each page
     * is read by a unit of work of its own that releases its connection before the page is emitted,
     * and the next page is read once that one has been handed on: a slow or stalled client holds at
     * most two pages in memory and never a database connection. Each page is consistent in itself
     * (read-your-writes, like every read here); the listing as a whole is not one snapshot, but no
     * row comes twice or out of order. Never emits an empty page.
     */
    public Flux<List<Account>> listPages(@Nullable String owner, long minBalance, long afterId, int limit) {
        return page(owner, minBalance, afterId, limit);
    }

    private Flux<List<Account>> page(@Nullable String owner, long minBalance, long afterId, int remaining) {
        int size = Math.min(LIST_PAGE, remaining);
        return pageReads.run(router.read(ReadConsistency.readYourWrites(), session -> session.query(
                                "SELECT " + COLUMNS + " FROM account WHERE id > $1 AND balance >= $2 AND ($3::text IS NULL OR owner = $3)"
                                        + " ORDER BY id LIMIT $4",
                                AccountStore::account, afterId, minBalance, owner == null ? DbSession.nullOf(String.class) : owner, size))
                        .collectList())
                .contextWrite(DbOperation.named("account.list"))
                .flatMapMany(rows -> {
                    if (rows.isEmpty()) {
                        return Flux.empty();
                    }
                    Flux<List<Account>> sent = Flux.just(rows);
                    if (rows.size() < size || remaining == size) {
                        return sent;
                    }
                    long last = rows.get(rows.size() - 1).id();
                    return sent.concatWith(Flux.defer(() -> page(owner, minBalance, last, remaining - size)));
                });
    }

    /**
     * Moves {@code amount} in one SERIALIZABLE transaction on the primary: debit, credit, record.
     * A serialization failure or deadlock retries the whole transaction (the router's retry); an
     * unknown account or a balance that would go negative rolls everything back; a credit past
     * the largest balance ({@code 22003}) too, and is a {@link Conflict} naming {@code to}.
     */
    public Mono<Transfer> transfer(@Nullable UUID id, long from, long to, long amount) {
        return router.inTransaction(TransactionOptions.of(Isolation.SERIALIZABLE), session ->
                        debit(session, from, amount)
                                .then(credit(session, to, amount))
                                .then(session.query("INSERT INTO transfer (id, source_account, target_account, amount)"
                                                + " VALUES (COALESCE($1, gen_random_uuid()), $2, $3, $4) RETURNING id, created_at",
                                        row -> new Transfer(row.get(0, UUID.class), from, to, amount, row.get(1, OffsetDateTime.class).toInstant()),
                                        id == null ? DbSession.nullOf(UUID.class) : id, from, to, amount).single()))
                .single()
                .onErrorMap(AccountStore::outOfRange, e -> new Conflict("to", "balance-out-of-range", "Balance out of range",
                        "the transfer would take account " + to + "'s balance past " + Long.MAX_VALUE + " cents; nothing was written"))
                .contextWrite(DbOperation.named("transfer"));
    }

    /** One transfer by id, read-your-writes (the {@code Location} of a created transfer). */
    public Mono<Transfer> findTransfer(UUID id) {
        return router.read(ReadConsistency.readYourWrites(), session -> session.query(
                        "SELECT id, source_account, target_account, amount, created_at FROM transfer WHERE id = $1",
                        row -> new Transfer(row.get(0, UUID.class), row.get(1, Long.class), row.get(2, Long.class), row.get(3, Long.class),
                                row.get(4, OffsetDateTime.class).toInstant()), id))
                .singleOrEmpty()
                .contextWrite(DbOperation.named("transfer.find"));
    }

    private static Mono<Long> debit(DbSession session, long account, long amount) {
        return session.query("UPDATE account SET balance = balance - $1 WHERE id = $2 RETURNING balance", row -> row.get(0, Long.class), amount, account)
                .singleOrEmpty()
                .switchIfEmpty(Mono.error(() -> new NotFound("account " + account + " does not exist")));
    }

    private static Mono<Long> credit(DbSession session, long account, long amount) {
        return session.query("UPDATE account SET balance = balance + $1 WHERE id = $2 RETURNING balance", row -> row.get(0, Long.class), amount, account)
                .singleOrEmpty()
                .switchIfEmpty(Mono.error(() -> new NotFound("account " + account + " does not exist")));
    }

    /** {@code 22003}: only the credit can overflow (a debit stops at the non-negative check first). */
    private static boolean outOfRange(Throwable e) {
        return e instanceof DbQueryException query && query.sqlState().filter("22003"::equals).isPresent();
    }

    static Account account(Row row) {
        return new Account(row.get("id", Long.class), row.get("owner", String.class), row.get("balance", Long.class),
                row.get("created_at", OffsetDateTime.class).toInstant());
    }
}
