package io.reactivedb.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupSettingsTest {

    private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

    @Test
    void defaultsAreDocumented() {
        BackupSettings settings = BackupSettings.fromEnvironment(Map.of());
        assertThat(settings.directory()).isEqualTo(Path.of("backups"));
        assertThat(settings.retentionDays()).isEqualTo(7);
        assertThat(settings.retention()).isEqualTo(Duration.ofDays(7));
        assertThat(settings.encryptionKey()).isEmpty();
        assertThat(settings.maxAge()).isEqualTo(Duration.ofHours(26));
        assertThat(settings).isEqualTo(BackupSettings.defaults());
    }

    @Test
    void readsEveryVariable(@TempDir Path folder) {
        BackupSettings settings = BackupSettings.fromEnvironment(Map.of("BACKUP_DIR", folder.toString(), "BACKUP_RETENTION_DAYS", " 30 ",
                "BACKUP_ENCRYPTION_KEY", KEY, "DB_BACKUP_MAX_AGE", "12"));
        assertThat(settings.directory()).isEqualTo(folder);
        assertThat(settings.retentionDays()).isEqualTo(30);
        assertThat(settings.encryptionKey()).isPresent();
        assertThat(settings.maxAge()).isEqualTo(Duration.ofHours(12));
        assertThat(BackupSettings.fromEnvironment(Map.of("DB_BACKUP_MAX_AGE", "90m")).maxAge()).isEqualTo(Duration.ofMinutes(90));
        assertThat(BackupSettings.fromEnvironment(Map.of("BACKUP_ENCRYPTION_KEY", KEY.replace('=', ' ').strip())).encryptionKey()).isPresent();
        assertThat(settings.toBuilder().build()).isEqualTo(settings);
    }

    @Test
    void invalidValuesNameTheSetting(@TempDir Path folder) throws IOException {
        Path file = Files.writeString(folder.resolve("file"), "x");
        assertRejected(Map.of("BACKUP_DIR", file.toString()), "BACKUP_DIR", "is a file");
        assertRejected(Map.of("BACKUP_RETENTION_DAYS", "0"), "BACKUP_RETENTION_DAYS", ">= 1 but was 0");
        assertRejected(Map.of("BACKUP_RETENTION_DAYS", "a week"), "BACKUP_RETENTION_DAYS", "whole number of days");
        assertRejected(Map.of("DB_BACKUP_MAX_AGE", "soon"), "DB_BACKUP_MAX_AGE", "");
        assertRejected(Map.of("DB_BACKUP_MAX_AGE", "0"), "DB_BACKUP_MAX_AGE", "> 0");
        assertThatThrownBy(() -> BackupSettings.builder().progressInterval(Duration.ZERO)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> new BackupSettings(folder, 0, java.util.Optional.empty(), Duration.ofHours(1), Duration.ofSeconds(1),
                Duration.ofHours(1), "postgres", java.util.Optional.empty())).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void aBadKeyIsRejectedWithoutRepeatingIt() {
        String passphrase = "correct horse battery staple";
        ConfigurationException notBase64 = assertRejected(Map.of("BACKUP_ENCRYPTION_KEY", passphrase), "BACKUP_ENCRYPTION_KEY", "not valid base64");
        assertThat(notBase64.getMessage()).doesNotContain(passphrase);
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        ConfigurationException tooShort = assertRejected(Map.of("BACKUP_ENCRYPTION_KEY", shortKey), "BACKUP_ENCRYPTION_KEY", "decodes to 16 bytes");
        assertThat(tooShort.getMessage()).doesNotContain(shortKey);
    }

    @Test
    void theKeyNeverShowsInToString() {
        EncryptionKey key = EncryptionKey.generate();
        BackupSettings settings = BackupSettings.builder().encryptionKey(key).build();
        assertThat(settings.toString()).doesNotContain(key.toBase64()).contains("******");
        assertThat(key.toString()).isEqualTo("EncryptionKey[******]");
        assertThat(EncryptionKey.fromBase64("k", key.toBase64()).toBase64()).isEqualTo(key.toBase64());
        String urlSafe = key.toBase64().replace('+', '-').replace('/', '_');
        assertThat(EncryptionKey.fromBase64("k", urlSafe).toBase64()).isEqualTo(key.toBase64());
    }

    private static ConfigurationException assertRejected(Map<String, String> env, String setting, String text) {
        ConfigurationException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigurationException.class,
                () -> BackupSettings.fromEnvironment(env));
        assertThat(e.setting()).isEqualTo(setting);
        assertThat(e.getMessage()).contains(text);
        return e;
    }
}
