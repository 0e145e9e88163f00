package io.reactivedb.internal.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CommandLineTest {

    private static final CommandLine.Syntax SYNTAX = new CommandLine.Syntax("usage: tool <command>", Set.of("--yes"), Map.of("--into", "a name"));

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(CommandLine.Body<CommandLine> body, String... args) {
        return CommandLine.run(args, SYNTAX, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), line -> line, body);
    }

    @Test
    void splitsTheCommandOptionsAndArguments() throws CommandLine.UsageException {
        CommandLine line = CommandLine.parse(new String[] {"copy", "a", "--yes", "--into", "b", "c"}, SYNTAX);

        assertThat(line.command()).isEqualTo("copy");
        assertThat(line.has("--yes")).isTrue();
        assertThat(line.value("--into")).isEqualTo("b");
        assertThat(line.arguments()).containsExactly("a", "c");
        assertThat(line.hasOptions()).isTrue();
    }

    @Test
    void refusesWhatItDoesNotKnow() {
        assertThatThrownBy(() -> CommandLine.parse(new String[0], SYNTAX)).hasMessage("no command given");
        assertThatThrownBy(() -> CommandLine.parse(new String[] {"copy", "--no"}, SYNTAX)).hasMessage("unknown option --no");
        assertThatThrownBy(() -> CommandLine.parse(new String[] {"copy", "--into"}, SYNTAX)).hasMessage("--into needs a name");
        assertThatThrownBy(() -> CommandLine.parse(new String[] {"copy", "--into", "--yes"}, SYNTAX)).hasMessage("--into needs a name");
    }

    @Test
    void readsAPositiveInteger() throws CommandLine.UsageException {
        assertThat(CommandLine.parse(new String[] {"copy", "--into", "3"}, SYNTAX).positiveInt("--into")).isEqualTo(3);
        assertThat(CommandLine.parse(new String[] {"copy"}, SYNTAX).positiveInt("--into")).isNull();
        CommandLine zero = CommandLine.parse(new String[] {"copy", "--into", "0"}, SYNTAX);
        assertThatThrownBy(() -> zero.positiveInt("--into")).hasMessage("--into needs a positive integer but was '0'");
    }

    @Test
    void exitCodes() {
        assertThat(run(line -> 7, "copy")).isEqualTo(7);
        assertThat(run(line -> 7, "--help")).isEqualTo(CommandLine.OK);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("usage: tool");
        assertThat(run(line -> 7)).isEqualTo(CommandLine.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("error: no command given").contains("usage: tool");
        assertThat(run(line -> {
            throw new ConfigurationException("DB_PORT", "must be a port but was 99999");
        }, "copy")).isEqualTo(CommandLine.CONFIGURATION);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("configuration error: DB_PORT");
    }
}
