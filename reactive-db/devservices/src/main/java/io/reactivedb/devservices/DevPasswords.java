package io.reactivedb.devservices;

import io.reactivedb.config.Secret;
import java.security.SecureRandom;

/**
 * The generated passwords of one cluster, new for every cluster: {@value DevCluster#PASSWORD_LENGTH}
 * random URL-safe alphanumerics each. {@code toString} is masked, as {@link Secret}'s is.
 */
record DevPasswords(Secret superuser, Secret app, Secret migration, Secret health, Secret backup) {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Five new passwords, each registered with {@code runner} so that its output never shows them. */
    static DevPasswords generate(ProcessRunner runner) {
        DevPasswords passwords = random();
        for (Secret secret : passwords.all()) {
            runner.addSecret(secret.reveal());
        }
        return passwords;
    }

    /** Five new passwords: superuser, app, migration, health, backup. */
    static DevPasswords random() {
        return new DevPasswords(Secret.of(generate()), Secret.of(generate()), Secret.of(generate()), Secret.of(generate()),
                Secret.of(generate()));
    }

    /** Each password once, for masking them in output. */
    java.util.List<Secret> all() {
        return java.util.List.of(superuser, app, migration, health, backup);
    }

    static String generate() {
        StringBuilder password = new StringBuilder(DevCluster.PASSWORD_LENGTH);
        for (int i = 0; i < DevCluster.PASSWORD_LENGTH; i++) {
            password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }
}
