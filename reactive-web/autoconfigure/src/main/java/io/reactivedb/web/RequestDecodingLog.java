package io.reactivedb.web;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaders;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import reactor.netty.http.logging.AbstractHttpMessageLogFactory;
import reactor.netty.http.logging.HttpMessageArgProvider;
import reactor.netty.http.server.HttpServer;

/**
 * What Reactor Netty writes when it cannot decode a request (431 header section too large, 414 URI
 * too long, 400): one line with the method, the path (no query, at most {@value #MAX_PATH} characters),
 * the decoder's reason and how many headers were read, instead of its default of the request line and
 * one line per header (a request with 2,000 headers made one WARN of ~600 to ~920 lines, header names
 * chosen by the client, values filtered). Reactor Netty logs the failure itself, once per refused
 * request, at WARN on {@code reactor.netty.http.server.HttpServerOperations}; this shapes the text.
 */
@Component
public class RequestDecodingLog extends AbstractHttpMessageLogFactory implements NettyServerCustomizer {

    static final int MAX_PATH = 100;

    @Override
    public HttpServer apply(HttpServer server) {
        return server.httpMessageLogFactory(this);
    }

    @Override
    public String common(HttpMessageArgProvider message) {
        StringBuilder line = new StringBuilder(200);
        line.append(message.httpMessageType()).append(' ').append(printable(message.method(), 16)).append(' ');
        String uri = message.uri();
        if (uri != null) {
            int query = uri.indexOf('?');
            line.append(printable(query < 0 ? uri : uri.substring(0, query), MAX_PATH));
        }
        DecoderResult result = message.decoderResult();
        if (result != null && result.cause() != null) {
            line.append(": ").append(result.cause().getClass().getSimpleName()).append(' ')
                    .append(printable(String.valueOf(result.cause().getMessage()), 200));
        }
        HttpHeaders headers = message.headers();
        line.append(" (").append(headers == null ? 0 : headers.size()).append(" header(s) read)");
        return line.toString();
    }

    /** At most {@code max} characters, control characters replaced: one line whatever the client sent. */
    private static String printable(String value, int max) {
        if (value == null) {
            return "-";
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), max + 1));
        for (int i = 0; i < value.length() && i < max; i++) {
            char c = value.charAt(i);
            out.append(Character.isISOControl(c) ? '_' : c);
        }
        if (value.length() > max) {
            out.append('…');
        }
        return out.toString();
    }
}
