package io.reactivedb.web.demo;

import io.reactivedb.web.ApiProblems.BadRequest;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * Request bodies of the demo API, checked field by field (400 naming the field). Amounts, balances
 * and ids must be JSON integers and the owner a JSON string ({@link StrictJson}): nothing is
 * truncated or coerced.
 */
final class Requests {

    static final int MAX_OWNER_LENGTH = 200;

    private Requests() {
    }

    /** PostgreSQL text cannot hold NUL (the server would refuse it with 22021): refused before it is sent. */
    static void checkText(String field, String value) {
        if (value.indexOf('\0') >= 0) {
            throw new BadRequest(field, field + " must not contain NUL");
        }
    }

    /** {@code POST /api/accounts}: an owner and an opening balance in cents. */
    record NewAccount(@JsonDeserialize(using = StrictJson.Text.class) @Nullable String owner,
                      @JsonDeserialize(using = StrictJson.IntegerValue.class) @Nullable Long balance) {
        NewAccount checked() {
            if (owner == null || owner.isBlank()) {
                throw new BadRequest("owner", "owner is required");
            }
            if (owner.length() > MAX_OWNER_LENGTH) {
                throw new BadRequest("owner", "owner must be at most " + MAX_OWNER_LENGTH + " characters");
            }
            checkText("owner", owner);
            if (balance == null || balance < 0) {
                throw new BadRequest("balance", "balance is required and must be >= 0 (cents)");
            }
            return this;
        }
    }

    /** {@code POST /api/transfers}: an optional client-chosen id (a retry with the same id cannot apply twice). */
    record NewTransfer(@Nullable UUID id,
                       @JsonDeserialize(using = StrictJson.IntegerValue.class) @Nullable Long from,
                       @JsonDeserialize(using = StrictJson.IntegerValue.class) @Nullable Long to,
                       @JsonDeserialize(using = StrictJson.IntegerValue.class) @Nullable Long amount) {
        NewTransfer checked() {
            if (from == null || from <= 0) {
                throw new BadRequest("from", "from is required and must be a positive account id");
            }
            if (to == null || to <= 0) {
                throw new BadRequest("to", "to is required and must be a positive account id");
            }
            if (from.equals(to)) {
                throw new BadRequest("to", "to must differ from from");
            }
            if (amount == null || amount <= 0) {
                throw new BadRequest("amount", "amount is required and must be > 0 (cents)");
            }
            return this;
        }
    }
}
