package io.reactivedb.web.demo;

import io.reactivedb.web.ApiProblems.NotFound;
import java.net.URI;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The same accounts through Spring Data R2DBC ({@link AccountDataService}): {@code POST} in a
 * read-write transaction on the primary, {@code GET} in a read-only transaction on a replica
 * (read-your-writes with the consistency header).
 */
@RestController
@RequestMapping("/api/data/accounts")
class AccountDataController {

    private final AccountDataService service;

    AccountDataController(AccountDataService service) {
        this.service = service;
    }

    @PostMapping
    Mono<ResponseEntity<Account>> create(@RequestBody Requests.NewAccount body) {
        Requests.NewAccount request = body.checked();
        return service.create(request.owner(), request.balance())
                .map(account -> ResponseEntity.created(URI.create("/api/data/accounts/" + account.id())).body(account));
    }

    @GetMapping("/{id}")
    Mono<Account> find(@PathVariable long id) {
        return service.find(id).switchIfEmpty(Mono.error(() -> new NotFound("account " + id + " does not exist")));
    }
}
