package io.reactivedb.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's settings tables (a "Name" or "variable" column and a "Default" column) list exactly
 * the settings of {@link SettingsTable}, each with its default. A row may name several settings;
 * its default cell then gives their defaults in the same order, separated by commas.
 */
class SettingsDocumentationTest {

    private static final Path README = Path.of("../../README.md");
    private static final Pattern NAME = Pattern.compile("`([A-Z][A-Z0-9_<>n]*)`");

    @Test
    void theReadmeListsEverySettingWithItsDefault() throws IOException {
        Map<String, String> documented = documentedDefaults(Files.readAllLines(README));
        Map<String, String> table = new LinkedHashMap<>();
        SettingsTable.all().forEach(setting -> table.put(setting.env(), setting.defaultValue()));

        assertThat(documented.keySet()).containsExactlyInAnyOrderElementsOf(table.keySet());
        assertThat(documented).containsExactlyInAnyOrderEntriesOf(table);
    }

    private static Map<String, String> documentedDefaults(List<String> lines) {
        Map<String, String> defaults = new LinkedHashMap<>();
        int defaultColumn = -1;
        for (String line : lines) {
            if (!line.startsWith("|")) {
                defaultColumn = -1;
                continue;
            }
            List<String> cells = cells(line);
            String first = cells.get(0).toLowerCase(java.util.Locale.ROOT);
            if (defaultColumn < 0 && (first.equals("name") || first.equals("variable"))) {
                defaultColumn = indexOfIgnoreCase(cells, "default");
            } else if (defaultColumn >= 0 && !line.startsWith("|---")) {
                addRow(defaults, cells.get(0), cells.get(defaultColumn));
            }
        }
        return defaults;
    }

    private static void addRow(Map<String, String> defaults, String nameCell, String defaultCell) {
        List<String> names = new ArrayList<>();
        Matcher m = NAME.matcher(nameCell);
        while (m.find()) {
            names.add(m.group(1));
        }
        List<String> values = names.size() == 1 ? List.of(defaultCell) : Arrays.asList(defaultCell.split(", "));
        for (int i = 0; i < names.size(); i++) {
            String previous = defaults.put(names.get(i), values.size() == names.size() ? values.get(i) : defaultCell);
            assertThat(previous).as("%s is documented once", names.get(i)).isNull();
        }
    }

    private static List<String> cells(String line) {
        String inner = line.strip();
        inner = inner.substring(1, inner.endsWith("|") ? inner.length() - 1 : inner.length());
        return Arrays.stream(inner.split("\\|", -1)).map(String::strip).toList();
    }

    private static int indexOfIgnoreCase(List<String> cells, String wanted) {
        for (int i = 0; i < cells.size(); i++) {
            if (cells.get(i).equalsIgnoreCase(wanted)) {
                return i;
            }
        }
        return -1;
    }
}
