package io.reactivedb.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Passwords kept in files, re-read for every new connection so they can rotate without a restart. */
final class PasswordFiles {

    private PasswordFiles() {
    }

    /** A secret read from the file {@code value} names; the file must exist and not be empty now. */
    static Secret secret(String setting, String value) {
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw new ConfigurationException(setting, "must be the path of a readable file but was not a valid path");
        }
        if (read(setting, path).isEmpty()) {
            throw new ConfigurationException(setting, "the file '" + path + "' is empty");
        }
        return Secret.ofSupplier(() -> read(setting, path));
    }

    /** Reads the whole file as UTF-8 without its trailing line breaks. Messages show the path, never the content. */
    static String read(String setting, Path path) {
        String content;
        try {
            content = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            String message = "cannot read the password file '" + path + "' (" + e.getClass().getSimpleName() + ")";
            // File-system exceptions carry paths only; any other cause is dropped in case its message holds content.
            throw e instanceof FileSystemException
                    ? new ConfigurationException(setting, message, e)
                    : new ConfigurationException(setting, message);
        }
        int end = content.length();
        while (end > 0 && (content.charAt(end - 1) == '\n' || content.charAt(end - 1) == '\r')) {
            end--;
        }
        return content.substring(0, end);
    }
}
