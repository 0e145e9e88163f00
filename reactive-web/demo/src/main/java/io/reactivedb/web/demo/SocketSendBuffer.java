package io.reactivedb.web.demo;

import io.netty.channel.ChannelOption;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import reactor.netty.http.server.HttpServer;

/**
 * Bounds each connection's kernel send buffer ({@code SO_SNDBUF}) to
 * {@code reactive-db.demo.socket-send-buffer} (default {@value #DEFAULT}; {@code 0} leaves the
 * operating system's autotuning on). A streamed response is produced only as fast as its socket
 * takes it, and on Linux an autotuned send buffer grows to megabytes: each slow reader of a
 * listing then made the service read and encode megabytes ahead of what the reader had taken,
 * hundreds of pages for 25 readers, all of it CPU taken from other requests. Bounded, a stream
 * runs ahead by about the buffer, the client's receive window and Netty's write high-water mark.
 *
 * <p>The cost is throughput of one connection over long round trips (a window of twice this per
 * round trip, Linux doubling the value asked for): 128 KiB per 10 ms is still 12 MiB/s.
 */
@Component
public class SocketSendBuffer implements NettyServerCustomizer {

    static final String DEFAULT = "64KB";

    private final int bytes;

    public SocketSendBuffer(@Value("${reactive-db.demo.socket-send-buffer:" + DEFAULT + "}") DataSize size) {
        if (size.isNegative() || size.toBytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("reactive-db.demo.socket-send-buffer must be between 0 and 2GB but was " + size);
        }
        this.bytes = (int) size.toBytes();
    }

    @Override
    public HttpServer apply(HttpServer server) {
        return bytes == 0 ? server : server.childOption(ChannelOption.SO_SNDBUF, bytes);
    }
}
