package io.latentwatch.monitor.health;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * {@code GET /health/live} and {@code GET /health/ready}: 200 when live (ready), 503 otherwise, with
 * the {@link StreamsHealth} as JSON. Served by the {@code /metrics} server as its default handler,
 * so one port carries metrics and probes; other paths answer 404.
 */
public final class HealthHandler implements HttpHandler {
    public static final String LIVE = "/health/live";
    public static final String READY = "/health/ready";
    private final Supplier<StreamsHealth> health;

    public HealthHandler(Supplier<StreamsHealth> health) { this.health = health; }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            StreamsHealth h = health.get();
            int status;
            byte[] body;
            if (LIVE.equals(path) || READY.equals(path)) {
                boolean ok = LIVE.equals(path) ? h.live() : h.ready();
                status = ok ? 200 : 503;
                body = h.json().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
            } else {
                status = 404;
                body = ("not found: " + path + " (try /metrics, " + LIVE + ", " + READY + ")\n").getBytes(StandardCharsets.UTF_8);
            }
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream out = ex.getResponseBody()) { out.write(body); }
        }
    }
}
