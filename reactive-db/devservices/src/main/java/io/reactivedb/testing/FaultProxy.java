package io.reactivedb.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process TCP proxy for fault tests: clients connect to {@code 127.0.0.1:}{@link #port()},
 * the proxy connects to the target and copies bytes both ways, with faults that can be switched at
 * run time and cleared with {@link #heal()}.
 *
 * <p>Plain blocking sockets on plain daemon threads named {@code fault-proxy-*} (an acceptor and two
 * pumps per connection), never on Reactor or Netty threads, so sleeping for latency is fine. Every
 * thread ends when its sockets close; {@link #close()} closes them all and waits (bounded) for the
 * threads.
 *
 * <p>Faults:
 * <ul>
 *   <li>{@link #latency(Duration)}: each chunk read is held this long before it is forwarded, in both
 *       directions;</li>
 *   <li>{@link #blackhole()}: nothing is forwarded in either direction; bytes read meanwhile are
 *       discarded and the sockets stay open, so a connection used during the blackhole is out of
 *       step afterwards, like one whose packets were lost;</li>
 *   <li>{@link #blackholeResponses()}: client to server is forwarded, server to client discarded: the
 *       statement goes through, the reply never comes back;</li>
 *   <li>{@link #refuseNewConnections(boolean)}: new connections are accepted and reset at once;</li>
 *   <li>{@link #hangNewConnections(boolean)}: new connections are accepted and never answered;</li>
 *   <li>{@link #resetAll()}: every open connection is reset (RST) on both sides, now.</li>
 * </ul>
 */
public final class FaultProxy implements AutoCloseable {

    private static final AtomicInteger PROXIES = new AtomicInteger();
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final long JOIN_MILLIS = 2_000;

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger linkIds = new AtomicInteger();

    private volatile Duration latency = Duration.ZERO;
    private volatile boolean blackhole;
    private volatile boolean blackholeResponses;
    private volatile boolean refuse;
    private volatile boolean hang;
    /** Connections accepted while hanging: held open, never answered, closed by heal() or close(). */
    private final Set<Socket> held = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;

    private FaultProxy(String targetHost, int targetPort) throws IOException {
        this.name = "fault-proxy-" + PROXIES.incrementAndGet();
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /** Listens on a free port of 127.0.0.1 and forwards to {@code targetHost:targetPort}. */
    public static FaultProxy start(String targetHost, int targetPort) {
        Objects.requireNonNull(targetHost, "targetHost");
        try {
            FaultProxy proxy = new FaultProxy(targetHost, targetPort);
            proxy.spawn(proxy.name + "-accept", proxy::acceptLoop);
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1", e);
        }
    }

    /** The port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** Adds {@code latency} before each forwarded chunk, both directions; zero turns it off. */
    public FaultProxy latency(Duration latency) {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0 but was " + latency);
        }
        this.latency = latency;
        return this;
    }

    /** Stops forwarding in both directions; sockets stay open. */
    public FaultProxy blackhole() {
        this.blackhole = true;
        return this;
    }

    /** Forwards client to server but drops server to client. */
    public FaultProxy blackholeResponses() {
        this.blackholeResponses = true;
        return this;
    }

    /** Whether new connections are accepted and reset at once. Open connections are not touched. */
    public FaultProxy refuseNewConnections(boolean refuse) {
        this.refuse = refuse;
        return this;
    }

    /**
     * Whether new connections are accepted and then left unanswered (held open, nothing forwarded):
     * a server that takes the connection but never replies, so a client's login waits for its
     * connect timeout. Open connections are not touched.
     */
    public FaultProxy hangNewConnections(boolean hang) {
        this.hang = hang;
        return this;
    }

    /** Resets every open connection (SO_LINGER 0, then close) on both sides. */
    public FaultProxy resetAll() {
        for (Link link : List.copyOf(links)) {
            link.reset();
        }
        return this;
    }

    /** Clears every fault: no latency, no blackhole, new connections accepted. Broken connections stay broken. */
    public FaultProxy heal() {
        latency = Duration.ZERO;
        blackhole = false;
        blackholeResponses = false;
        refuse = false;
        hang = false;
        releaseHeld();
        return this;
    }

    /** The prefix of this proxy's thread names, for example {@code fault-proxy-3-}. */
    public String threadNamePrefix() {
        return name + "-";
    }

    /** Connections accepted since the start, refused ones included: how often clients tried to connect. */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** Connections currently forwarded (both sockets open). */
    public int openConnections() {
        return links.size();
    }

    /** Stops listening, closes every connection and waits up to two seconds for each thread to end. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        releaseHeld();
        for (Link link : List.copyOf(links)) {
            link.close();
        }
        List<Thread> running = new ArrayList<>(threads);
        for (Thread thread : running) {
            if (thread != Thread.currentThread()) {
                try {
                    thread.join(JOIN_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public String toString() {
        return name + "[127.0.0.1:" + port() + " -> " + target.getHostString() + ":" + target.getPort() + "]";
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            accepted.incrementAndGet();
            if (refuse || closed) {
                reset(client);
                continue;
            }
            if (hang) {
                held.add(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
            } catch (IOException e) {
                reset(client);
                closeQuietly(upstream);
                continue;
            }
            Link link = new Link(linkIds.incrementAndGet(), client, upstream);
            links.add(link);
            if (closed) {
                link.close();
                return;
            }
            spawn(name + "-c2s-" + link.id, () -> link.pump(client, upstream, false));
            spawn(name + "-s2c-" + link.id, () -> link.pump(upstream, client, true));
        }
    }

    private void releaseHeld() {
        for (Socket socket : List.copyOf(held)) {
            held.remove(socket);
            reset(socket);
        }
    }

    private void spawn(String threadName, Runnable body) {
        Thread thread = new Thread(() -> {
            try {
                body.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        }, threadName);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
    }

    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    /** One proxied connection: the client's socket and ours to the target. */
    private final class Link {
        final int id;
        final Socket client;
        final Socket upstream;

        Link(int id, Socket client, Socket upstream) {
            this.id = id;
            this.client = client;
            this.upstream = upstream;
        }

        void pump(Socket from, Socket to, boolean response) {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        return;
                    }
                    Duration delay = latency;
                    if (!delay.isZero()) {
                        Thread.sleep(delay.toMillis(), delay.toNanosPart() % 1_000_000);
                    }
                    if (blackhole || (response && blackholeResponses)) {
                        continue;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // reset or closed: the link ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close();
            }
        }

        void reset() {
            links.remove(this);
            FaultProxy.reset(client);
            FaultProxy.reset(upstream);
        }

        void close() {
            links.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }
}
