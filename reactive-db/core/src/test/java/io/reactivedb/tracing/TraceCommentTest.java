package io.reactivedb.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TraceCommentTest {

    private static final String PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @Test
    void aWellFormedTraceparentGoesInFront() {
        assertThat(TraceComment.prepend(PARENT, "SELECT $1"))
                .isEqualTo("/*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/ SELECT $1");
    }

    @Test
    void anythingElseLeavesTheStatementAsItIs() {
        assertThat(TraceComment.prepend("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01*/ DROP TABLE t; /*", "SELECT 1"))
                .isEqualTo("SELECT 1");
        assertThat(TraceComment.prepend("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01", "SELECT 1")).isEqualTo("SELECT 1");
        assertThat(TraceComment.prepend("", "SELECT 1")).isEqualTo("SELECT 1");
        assertThat(TraceComment.isTraceparent(PARENT)).isTrue();
    }
}
