package io.reactivedb.web.demo;

import io.reactivedb.web.ApiProblems;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.exc.MismatchedInputException;

/**
 * Deserializers for the demo's request fields that take a value only in its own JSON type:
 * Jackson's defaults would truncate {@code 1.5} to {@code 1} and coerce {@code "5"} or
 * {@code 123} silently, which changes money. Put on the request records' components only, so
 * other endpoints keep Spring's mapper as it is. A refusal is a {@link Refused} that Jackson
 * gives the field's path; {@code ApiProblems} turns it into a 400 naming the field.
 */
public final class StrictJson {

    private StrictJson() {
    }

    /** A JSON integer that fits a {@code long} (cents, ids); no fraction, exponent, string or boolean. */
    static final class IntegerValue extends ValueDeserializer<Long> {
        @Override
        public Long deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                throw new Refused(p, "must be a JSON integer", Long.class);
            }
            JsonParser.NumberType type = p.getNumberType();
            if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
                throw new Refused(p, "must be a JSON integer of at most " + Long.MAX_VALUE, Long.class);
            }
            return p.getLongValue();
        }
    }

    /** A JSON string; no number, boolean, array or object turned into text. */
    static final class Text extends ValueDeserializer<String> {
        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                // Skip what was there (an array or object) so the refusal is about this field only.
                p.skipChildren();
                throw new Refused(p, "must be a JSON string", String.class);
            }
            return p.getString();
        }
    }

    /** A field of the wrong JSON type; its message completes "{field} ...", without echoing the value. */
    public static final class Refused extends MismatchedInputException implements ApiProblems.RuleRefusal {
        private static final long serialVersionUID = 1L;

        Refused(JsonParser p, String message, Class<?> targetType) {
            super(p, message, targetType);
        }
    }
}
