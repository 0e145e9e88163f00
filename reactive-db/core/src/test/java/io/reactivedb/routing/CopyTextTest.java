package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyTextTest {

    private static String text(Object... row) {
        return CopyText.encode(List.<Object[]>of(row), row.length).toString(StandardCharsets.UTF_8);
    }

    @Test
    void separatorsAndBackslashesInValuesAreEscapedAndNullIsBackslashN() {
        assertThat(text("a\tb", "c\nd", "e\rf", "g\\h", null, "\\N", DbSession.nullOf(String.class)))
                .isEqualTo("a\\tb\tc\\nd\te\\rf\tg\\\\h\t\\N\t\\\\N\t\\N\n");
    }

    @Test
    void typedValuesHaveTheirPostgresTextForms() {
        assertThat(text(true, false, new BigDecimal("1E+3"), 7L, new byte[] {0, (byte) 0xff, '\\'}, Isolation.SERIALIZABLE))
                .isEqualTo("t\tf\t1000\t7\t\\\\x00ff5c\tSERIALIZABLE\n");
    }

    @Test
    void whatPostgresCannotHoldOrParseIsRefused() {
        assertThatThrownBy(() -> text("nul\0")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
        assertThatThrownBy(() -> text(new Object())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no COPY text form");
        assertThatThrownBy(() -> CopyText.encode(List.<Object[]>of(new Object[] {1}), 2)).hasMessageContaining("1 values for 2 columns");
    }

    @Test
    void namesAreQuotedSoTheyCannotBeSql() {
        assertThat(CopyText.statement("app.Orders", Arrays.asList("id", "x\"); DROP TABLE t; --")))
                .isEqualTo("COPY \"app\".\"Orders\" (\"id\", \"x\"\"); DROP TABLE t; --\") FROM STDIN");
        assertThatThrownBy(() -> CopyText.statement("t", List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopyText.statement("t", List.of("x".repeat(64)))).hasMessageContaining("63 bytes");
    }
}
