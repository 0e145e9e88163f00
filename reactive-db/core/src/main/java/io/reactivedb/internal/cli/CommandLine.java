package io.reactivedb.internal.cli;

import io.reactivedb.config.ConfigurationException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One parsed command line, {@code <command> [options] [arguments]}, and the skeleton of a tool
 * that runs one: {@link #run} parses, answers {@code help}, turns a usage error into exit code
 * {@value #USAGE} with the usage text and a configuration error into {@value #CONFIGURATION}.
 * The tool checks which options and arguments its command takes and does the work.
 *
 * <p>Options are flags ({@code --confirm}) or take the next argument as their value
 * ({@code --into DB}); the last of a repeated option wins. {@code help}, {@code --help} and
 * {@code -h} in the command's place ask for the usage text. Messages carry option names and the
 * offending argument, never an environment value: a password stays out of the terminal.
 */
public final class CommandLine {

    /** Exit code: the command did what it was asked. */
    public static final int OK = 0;
    /** Exit code: the command failed. */
    public static final int FAILED = 1;
    /** Exit code: the command line is wrong; the usage text is printed. */
    public static final int USAGE = 2;
    /** Exit code: the environment's settings are wrong. */
    public static final int CONFIGURATION = 3;

    private static final Set<String> HELP = Set.of("help", "--help", "-h");

    private final String command;
    private final Set<String> flags;
    private final Map<String, String> values;
    private final List<String> arguments;

    private CommandLine(String command, Set<String> flags, Map<String, String> values, List<String> arguments) {
        this.command = command;
        this.flags = flags;
        this.values = values;
        this.arguments = arguments;
    }

    /**
     * The options a tool knows.
     *
     * @param usage  the usage text, printed for {@code help} and after a usage error
     * @param flags  options without a value
     * @param valued options with a value, each mapped to what the value is, for the message when it
     *               is missing: {@code "--into" -> "a database name"} gives "--into needs a database name"
     */
    public record Syntax(String usage, Set<String> flags, Map<String, String> valued) {
    }

    /** Turns a parsed command line into the tool's command, checking what the command takes. */
    @FunctionalInterface
    public interface Parser<C> {
        C parse(CommandLine line) throws UsageException;
    }

    /** Runs the tool's command; returns the exit code. */
    @FunctionalInterface
    public interface Body<C> {
        int run(C command);
    }

    /** The command line does not say what to do; the message says why. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /**
     * Parses {@code args}, runs the command and returns the exit code: {@value #USAGE} after printing
     * "error: " and the usage text to {@code err}; {@value #OK} after printing the usage text to
     * {@code out} for {@code help}; {@value #CONFIGURATION} after printing "configuration error: "
     * when {@code body} throws a {@link ConfigurationException}; else what {@code body} returns.
     */
    public static <C> int run(String[] args, Syntax syntax, PrintStream out, PrintStream err, Parser<C> parser, Body<C> body) {
        C command;
        try {
            CommandLine line = parse(args, syntax);
            if (line.isHelp()) {
                out.println(syntax.usage());
                return OK;
            }
            command = parser.parse(line);
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println(syntax.usage());
            return USAGE;
        }
        try {
            return body.run(command);
        } catch (ConfigurationException e) {
            err.println("configuration error: " + e.getMessage());
            return CONFIGURATION;
        }
    }

    /** Splits {@code args} into the command, the options {@code syntax} knows and the arguments. */
    public static CommandLine parse(String[] args, Syntax syntax) throws UsageException {
        if (args.length == 0) {
            throw new UsageException("no command given");
        }
        Set<String> flags = new HashSet<>();
        Map<String, String> values = new HashMap<>();
        List<String> arguments = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            String needs = syntax.valued().get(arg);
            if (syntax.flags().contains(arg)) {
                flags.add(arg);
            } else if (needs != null) {
                i++;
                if (i >= args.length || args[i].isBlank() || args[i].startsWith("--")) {
                    throw new UsageException(arg + " needs " + needs);
                }
                values.put(arg, args[i]);
            } else if (arg.startsWith("-")) {
                throw new UsageException("unknown option " + arg);
            } else {
                arguments.add(arg);
            }
        }
        return new CommandLine(args[0], flags, values, arguments);
    }

    /** Keeps SLF4J's "no provider" notice off the terminal of a tool that ships without a provider. */
    public static void quietLogging() {
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
    }

    /** The first argument: the command's name as given. */
    public String command() {
        return command;
    }

    /** Whether the command asks for the usage text. */
    public boolean isHelp() {
        return HELP.contains(command);
    }

    /** Whether the flag was given. */
    public boolean has(String flag) {
        return flags.contains(flag);
    }

    /** Whether any option, flag or with a value, was given. */
    public boolean hasOptions() {
        return !flags.isEmpty() || !values.isEmpty();
    }

    /** The value of an option, or null when it was not given. */
    public @Nullable String value(String option) {
        return values.get(option);
    }

    /**
     * The value of an option as a positive integer, or null when it was not given.
     *
     * @throws UsageException when it is not a positive integer
     */
    public @Nullable Integer positiveInt(String option) throws UsageException {
        String text = values.get(option);
        if (text == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below, as a number below 1 is
        }
        throw new UsageException(option + " needs a positive integer but was '" + text + "'");
    }

    /** The arguments that are not options, in order. */
    public List<String> arguments() {
        return List.copyOf(arguments);
    }
}
