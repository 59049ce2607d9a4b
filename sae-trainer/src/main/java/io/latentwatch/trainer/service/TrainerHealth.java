package io.latentwatch.trainer.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.latentwatch.trainer.RefitScheduler;
import io.latentwatch.trainer.SaeRefit;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The trainer's {@code GET /health}: 200 with each scheduler's runs, last result and last failure while the service
 * runs, 503 once it is stopping. A failed refit does not make the trainer unhealthy (the version in force stays and
 * the next tick retries); it is reported in {@code last_failure}.
 */
final class TrainerHealth implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final Map<String, RefitScheduler> schedulers;
    private final int reannounced;
    private final AtomicBoolean stopping = new AtomicBoolean();

    private TrainerHealth(HttpServer server, Map<String, RefitScheduler> schedulers, int reannounced) {
        this.server = server;
        this.schedulers = schedulers;
        this.reannounced = reannounced;
    }

    static TrainerHealth start(String host, int port, Map<String, RefitScheduler> schedulers, int reannounced) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 0);
        TrainerHealth h = new TrainerHealth(s, schedulers, reannounced);
        s.createContext("/health", h::handle);
        s.start();
        return h;
    }

    String url() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort() + "/health";
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            ObjectNode o = JSON.createObjectNode();
            o.put("status", stopping.get() ? "STOPPING" : "UP");
            o.put("reannounced_at_start", reannounced);
            ObjectNode sch = o.putObject("schedulers");
            schedulers.forEach((name, s) -> {
                ObjectNode n = sch.putObject(name);
                n.put("runs", s.runs());
                SaeRefit.Result r = s.lastResult();
                if (r != null) {
                    n.put("last_published", r.published());
                    if (r.version() != null) n.put("last_version", r.version());
                    n.putPOJO("last_reasons", r.reasons());
                }
                if (s.lastFailure() != null) n.put("last_failure", s.lastFailure().toString());
            });
            byte[] body = JSON.writeValueAsBytes(o);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(stopping.get() ? 503 : 200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        stopping.set(true);
        server.stop(1);
    }
}
