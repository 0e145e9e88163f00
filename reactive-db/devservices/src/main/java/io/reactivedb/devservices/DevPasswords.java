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
        DevPasswords passwords = new DevPasswords(Secret.of(generate()), Secret.of(generate()), Secret.of(generate()),
                Secret.of(generate()), Secret.of(generate()));
        for (Secret secret : new Secret[] {passwords.superuser, passwords.app, passwords.migration, passwords.health, passwords.backup}) {
            runner.addSecret(secret.reveal());
        }
        return passwords;
    }

    static String generate() {
        StringBuilder password = new StringBuilder(DevCluster.PASSWORD_LENGTH);
        for (int i = 0; i < DevCluster.PASSWORD_LENGTH; i++) {
            password.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }
}
