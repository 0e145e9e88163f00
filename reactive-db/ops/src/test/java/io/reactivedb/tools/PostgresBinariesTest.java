package io.reactivedb.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresBinariesTest {

    @TempDir
    Path temp;

    @Test
    void explicitMissingFolderFailsWithInstallHint() {
        Path missing = temp.resolve("no-such-bin");

        assertThatThrownBy(() -> PostgresBinaries.locate(Optional.of(missing)))
                .isInstanceOf(PostgresToolsException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("option binDir")
                .hasMessageContaining("apt-get install postgresql")
                .hasMessageContaining("brew install postgresql@17");
    }

    @Test
    void explicitFolderLackingBinariesNamesWhatIsMissing() throws IOException {
        Path bin = Files.createDirectories(temp.resolve("bin"));
        fakeExecutable(bin, "psql");

        assertThatThrownBy(() -> PostgresBinaries.locate(Optional.of(bin)))
                .hasMessageContaining("lacks initdb, pg_ctl, pg_basebackup, postgres");
    }

    @Test
    void environmentVariableIsUsedWhenNoOption() throws IOException {
        Path bin = fakeInstallation(temp.resolve("custom"));

        PostgresBinaries found = PostgresBinaries.locate(Optional.empty(),
                Map.of(PostgresBinaries.ENV_VAR, bin.toString(), "PATH", ""), temp.resolve("none"), List.of());

        assertThat(found.binDir()).isEqualTo(bin);
    }

    @Test
    void nothingFoundListsEveryPlaceLookedAt() {
        Path root = temp.resolve("usr-lib-postgresql");
        Path wellKnown = temp.resolve("usr-local-pgsql-bin");

        assertThatThrownBy(() -> PostgresBinaries.locate(Optional.empty(), Map.of("PATH", temp.toString()), root,
                List.of(wellKnown)))
                .isInstanceOf(PostgresToolsException.class)
                .hasMessageContaining("PATH (" + temp + ")")
                .hasMessageContaining(root + "/<version>/bin")
                .hasMessageContaining(wellKnown + " (no such folder)")
                .hasMessageContaining("apt-get install postgresql")
                .hasMessageContaining("brew install postgresql@17");
    }

    @Test
    void picksTheHighestVersionNumerically() throws IOException {
        Path root = temp.resolve("postgresql");
        fakeInstallation(root.resolve("9.6/bin"));
        fakeInstallation(root.resolve("16/bin"));
        fakeInstallation(root.resolve("15/bin"));

        PostgresBinaries found = PostgresBinaries.locate(Optional.empty(), Map.of("PATH", ""), root, List.of());

        assertThat(found.binDir()).isEqualTo(root.resolve("16/bin"));
    }

    @Test
    void findsTheRealBinaries() {
        PostgresBinaries found = PostgresBinaries.locate(Optional.empty());

        assertThat(found.executable("pg_ctl")).isExecutable();
        assertThat(found.executable("postgres")).isExecutable();
    }

    private static Path fakeInstallation(Path bin) throws IOException {
        Files.createDirectories(bin);
        for (String name : PostgresBinaries.REQUIRED) {
            fakeExecutable(bin, name);
        }
        return bin;
    }

    private static void fakeExecutable(Path bin, String name) throws IOException {
        Path file = Files.writeString(bin.resolve(name), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
