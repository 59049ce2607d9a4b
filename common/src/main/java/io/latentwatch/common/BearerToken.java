package io.latentwatch.common;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * A shared secret that HTTP clients present as {@code Authorization: Bearer <token>} (RFC 6750)
 * to the node's and the monitor's endpoints. It is read from a file or an environment variable,
 * never from a flag (shell history, process listings) or a properties value (config dumps), and
 * never printed. Requests without it get 401 with {@code WWW-Authenticate: Bearer}; paths given as
 * open (the health endpoints: probes of an orchestrator carry no secret, and they reveal only
 * whether the process is up) are answered without it. The comparison takes constant time.
 */
public final class BearerToken {
    private static final String HOW = "put a random token in a file (e.g. head -c 24 /dev/urandom | base64 > token; chmod 600)";
    private final byte[] expected;

    private BearerToken(String token) {
        String t = token.strip();
        if (t.length() < 16) {
            throw new IllegalArgumentException("the HTTP bearer token has " + t.length() + " characters, at least 16 are needed; " + HOW);
        }
        if (!t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("the HTTP bearer token must be printable ASCII without spaces; " + HOW);
        }
        this.expected = ("Bearer " + t).getBytes(StandardCharsets.US_ASCII);
    }

    public static BearerToken of(String token) { return new BearerToken(token); }

    /**
     * The token from {@code file} when given (not blank), else from the environment variable
     * {@code envName} in {@code env}, else null (no authentication).
     */
    public static BearerToken resolve(String file, String envName, Map<String, String> env) {
        if (file != null && !file.isBlank()) {
            Path p = Path.of(file.trim());
            try {
                return of(Files.readString(p, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the HTTP token file " + p + " (" + e.getClass().getSimpleName() + "); " + HOW, e);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(p + ": " + e.getMessage(), e);
            }
        }
        String v = env.get(envName);
        if (v == null || v.isBlank()) return null;
        try {
            return of(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("$" + envName + ": " + e.getMessage(), e);
        }
    }

    /** The value of the {@code Authorization} header a client sends (e.g. one instance forwarding to another). */
    public String authorization() { return new String(expected, StandardCharsets.US_ASCII); }

    /** True when the {@code Authorization} header value carries this token. */
    public boolean accepts(String authorization) {
        return authorization != null && MessageDigest.isEqual(expected, authorization.trim().getBytes(StandardCharsets.US_ASCII));
    }

    private static boolean open(String path, List<String> openPrefixes) {
        for (String p : openPrefixes) if (path.equals(p) || path.startsWith(p.endsWith("/") ? p : p + "/")) return true;
        return false;
    }

    /** For servers that take an {@link Authenticator} (the Prometheus exporter): paths under {@code openPrefixes} pass. */
    public Authenticator authenticator(List<String> openPrefixes) {
        return new Authenticator() {
            @Override
            public Result authenticate(HttpExchange ex) {
                if (open(ex.getRequestURI().getPath(), openPrefixes) || accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
                    return new Success(new HttpPrincipal("bearer", "latentwatch"));
                }
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"latentwatch\"");
                return new Failure(401);
            }
        };
    }

    /** A filter answering 401 to requests without the token, except on paths under {@code openPrefixes}. */
    public Filter filter(List<String> openPrefixes) {
        return new Filter() {
            @Override
            public void doFilter(HttpExchange ex, Chain chain) throws IOException {
                if (open(ex.getRequestURI().getPath(), openPrefixes) || accepts(ex.getRequestHeaders().getFirst("Authorization"))) {
                    chain.doFilter(ex);
                    return;
                }
                byte[] body = "{\"error\": \"missing or wrong bearer token: send Authorization: Bearer <token>\"}\n"
                        .getBytes(StandardCharsets.UTF_8);
                try (ex) {
                    ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"latentwatch\"");
                    ex.getResponseHeaders().set("Content-Type", "application/json");
                    ex.sendResponseHeaders(401, body.length);
                    try (OutputStream out = ex.getResponseBody()) { out.write(body); }
                }
            }

            @Override
            public String description() { return "bearer token"; }
        };
    }

    /**
     * {@code server} with every context created through the returned view guarded by
     * {@link #filter}; {@code token} null: {@code server} itself. Lets code that registers its own
     * contexts (pages, internal endpoints) stay unaware of authentication.
     */
    public static HttpServer guard(HttpServer server, BearerToken token, List<String> openPrefixes) {
        if (token == null) return server;
        Filter f = token.filter(openPrefixes);
        return new HttpServer() {
            @Override public void bind(InetSocketAddress addr, int backlog) throws IOException { server.bind(addr, backlog); }
            @Override public void start() { server.start(); }
            @Override public void setExecutor(Executor executor) { server.setExecutor(executor); }
            @Override public Executor getExecutor() { return server.getExecutor(); }
            @Override public void stop(int delay) { server.stop(delay); }
            @Override public HttpContext createContext(String path, HttpHandler handler) {
                HttpContext c = server.createContext(path, handler);
                c.getFilters().add(f);
                return c;
            }
            @Override public HttpContext createContext(String path) {
                HttpContext c = server.createContext(path);
                c.getFilters().add(f);
                return c;
            }
            @Override public void removeContext(String path) { server.removeContext(path); }
            @Override public void removeContext(HttpContext context) { server.removeContext(context); }
            @Override public InetSocketAddress getAddress() { return server.getAddress(); }
        };
    }

    /** Never the token. */
    @Override public String toString() { return "BearerToken[hidden]"; }
}
