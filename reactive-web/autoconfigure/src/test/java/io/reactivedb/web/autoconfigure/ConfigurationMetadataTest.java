package io.reactivedb.web.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivedb.config.Setting;
import io.reactivedb.config.SettingsTable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The IDE's description of the library's properties names exactly the properties of the settings table. */
class ConfigurationMetadataTest {

    private static final Pattern NAME = Pattern.compile("\"name\"\\s*:\\s*\"([^\"]+)\"");

    @Test
    void theMetadataListsEveryPropertyOfTheTable() throws IOException {
        String json;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/additional-spring-configuration-metadata.json")) {
            assertThat(in).isNotNull();
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> described = NAME.matcher(json).results().map(m -> m.group(1)).sorted().toList();
        List<String> table = SettingsTable.all().stream().map(Setting::property).flatMap(Optional::stream).sorted()
                .collect(Collectors.toList());
        assertThat(described).isEqualTo(table);
    }
}
