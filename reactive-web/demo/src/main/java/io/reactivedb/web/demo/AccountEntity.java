package io.reactivedb.web.demo;

import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.ReadOnlyProperty;
import org.springframework.data.relational.core.mapping.Column;
import org.springframework.data.relational.core.mapping.Table;

/** The {@code account} row for Spring Data R2DBC; {@code created_at} is the database's default. */
@Table("account")
public record AccountEntity(@Id @Nullable Long id, String owner, long balance,
                            @Column("created_at") @ReadOnlyProperty @Nullable Instant createdAt) {

    Account toAccount() {
        return new Account(id == null ? 0 : id, owner, balance, createdAt == null ? Instant.EPOCH : createdAt);
    }
}
