package io.reactivedb.web.demo;

import io.reactivedb.web.ApiProblems.BadRequest;
import io.reactivedb.web.ApiProblems.NotFound;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** The demo service: accounts and transfers over the router's own API ({@link AccountStore}). */
@RestController
@RequestMapping("/api")
class AccountController {

    static final int MAX_LIMIT = 100_000;
    static final int DEFAULT_LIMIT = 100;
    /** NDJSON lines per buffer written: about 2 to 3 kB. */
    static final int LINES_PER_WRITE = 32;

    private final AccountStore store;
    private final StreamLimits streams;
    private final JsonMapper json;

    AccountController(AccountStore store, StreamLimits streams, JsonMapper json) {
        this.store = store;
        this.streams = streams;
        this.json = json;
    }

    @PostMapping("/accounts")
    Mono<ResponseEntity<Account>> create(@RequestBody Requests.NewAccount body) {
        Requests.NewAccount request = body.checked();
        return store.create(request.owner(), request.balance())
                .map(account -> ResponseEntity.created(URI.create("/api/accounts/" + account.id())).body(account));
    }

    @GetMapping("/accounts/{id}")
    Mono<Account> find(@PathVariable long id) {
        if (id <= 0) {
            throw new BadRequest("id", "id must be a positive number");
        }
        return store.find(id).switchIfEmpty(Mono.error(() -> new NotFound("account " + id + " does not exist")));
    }

    /**
     * Streams as NDJSON, one account per line, as fast as the client reads; read from the database a
     * page at a time ({@link AccountStore#listPages}), so a slow client holds no connection. Lines go
     * out {@value #LINES_PER_WRITE} to a buffer: Spring's NDJSON writer would flush every line on
     * its own, one socket write per account, and a whole page per buffer would let Reactor Netty,
     * which takes up to 128 buffers ahead of the socket, hold megabytes per slow reader. At most
     * {@link StreamLimits} streams per client at once: 429 over that.
     */
    @GetMapping(path = "/accounts", produces = MediaType.APPLICATION_NDJSON_VALUE)
    Flux<DataBuffer> list(@RequestParam(required = false) @Nullable String owner,
                       @RequestParam(defaultValue = "0") long minBalance,
                       @RequestParam(defaultValue = "0") long afterId,
                       @RequestParam(defaultValue = "" + DEFAULT_LIMIT) int limit,
                       ServerHttpRequest request) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new BadRequest("limit", "limit must be between 1 and " + MAX_LIMIT);
        }
        if (minBalance < 0 || afterId < 0) {
            throw new BadRequest(minBalance < 0 ? "minBalance" : "afterId", "must be >= 0");
        }
        if (owner != null) {
            Requests.checkText("owner", owner);
        }
        return streams.limited(StreamLimits.client(request.getRemoteAddress()),
                // One page asked for at a time: the next is read once this one's lines are all taken.
                () -> store.listPages(owner, minBalance, afterId, limit).concatMapIterable(this::ndjson, 1));
    }

    /** A page's accounts as NDJSON, {@value #LINES_PER_WRITE} lines to a buffer. */
    private List<DataBuffer> ndjson(List<Account> page) {
        List<DataBuffer> buffers = new ArrayList<>(page.size() / LINES_PER_WRITE + 1);
        for (int from = 0; from < page.size(); from += LINES_PER_WRITE) {
            List<Account> lines = page.subList(from, Math.min(page.size(), from + LINES_PER_WRITE));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(lines.size() * 96);
            for (Account account : lines) {
                bytes.writeBytes(json.writeValueAsBytes(account));
                bytes.write('\n');
            }
            buffers.add(DefaultDataBufferFactory.sharedInstance.wrap(bytes.toByteArray()));
        }
        return buffers;
    }

    @PostMapping("/transfers")
    Mono<ResponseEntity<Transfer>> transfer(@RequestBody Requests.NewTransfer body) {
        Requests.NewTransfer request = body.checked();
        return store.transfer(request.id(), request.from(), request.to(), request.amount())
                .map(transfer -> ResponseEntity.created(URI.create("/api/transfers/" + transfer.id())).body(transfer));
    }

    /** The transfer a {@code POST /api/transfers} answered with in its {@code Location}. */
    @GetMapping("/transfers/{id}")
    Mono<Transfer> findTransfer(@PathVariable String id) {
        UUID transfer;
        try {
            transfer = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("id", "id must be a UUID");
        }
        return store.findTransfer(transfer).switchIfEmpty(Mono.error(() -> new NotFound("transfer " + id + " does not exist")));
    }
}
