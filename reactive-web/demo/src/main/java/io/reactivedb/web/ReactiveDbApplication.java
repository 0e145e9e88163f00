package io.reactivedb.web;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The demo service: the router over the configured database, or over the dev-services cluster when none is configured. */
@SpringBootApplication
public class ReactiveDbApplication {

    public static void main(String[] args) {
        SpringApplication.run(ReactiveDbApplication.class, args);
    }
}
