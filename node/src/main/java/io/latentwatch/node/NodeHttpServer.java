package io.latentwatch.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.latentwatch.common.BearerToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The node's HTTP API, OpenAI-style:
 * <ul>
 *   <li>{@code POST /v1/completions}: {@code {model, prompt, max_tokens, temperature, top_p, seed, stop, echo, top_k}}
 *       -> {@code {id, object: "text_completion", created, model, choices: [{text, index, logprobs, finish_reason}], usage}};
 *       errors as {@code {error: {message, type, param, code}}};</li>
 *   <li>{@code GET /v1/models}: the one model served;</li>
 *   <li>{@code GET /health}: status and the sampling/publishing counters.</li>
 * </ul>
 * A client may name its request with an {@code X-Request-Id} header (letters, digits, {@code -_.:},
 * up to 128 characters); the id travels with the published samples, so alerts can be traced back to
 * requests. {@code X-Latentwatch-Scenario} tags the samples' metadata (traffic generators).
 */
public final class NodeHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeHttpServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final int MAX_BODY = 1 << 20;

    private final InferenceNode node;
    private final HttpServer server;
    private final ExecutorService executor;

    /** Binds to {@code host:port} (port 0 = any free port) and starts serving, without authentication. */
    public NodeHttpServer(InferenceNode node, String host, int port, int threads) throws IOException {
        this(node, host, port, threads, null);
    }

    /**
     * As {@link #NodeHttpServer(InferenceNode, String, int, int)}; with a {@code token}, every endpoint
     * but {@code /health} (orchestrator probes carry no secret; it shows counters only) answers 401
     * without {@code Authorization: Bearer <token>}.
     */
    public NodeHttpServer(InferenceNode node, String host, int port, int threads, BearerToken token) throws IOException {
        this.node = node;
        this.server = BearerToken.guard(HttpServer.create(new InetSocketAddress(host, port), 64), token, List.of("/health"));
        this.executor = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "latentwatch-node-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/v1/completions", this::completions);
        server.createContext("/v1/models", this::models);
        server.createContext("/health", this::health);
        server.start();
    }

    public int port() { return server.getAddress().getPort(); }

    public String baseUrl() { return "http://" + server.getAddress().getHostString() + ":" + port(); }

    private void completions(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"POST".equals(ex.getRequestMethod())) {
                error(ex, 405, "method " + ex.getRequestMethod() + " not allowed; POST a JSON body", null, "invalid_request_error");
                return;
            }
            JsonNode body;
            try (InputStream in = ex.getRequestBody()) {
                byte[] bytes = in.readNBytes(MAX_BODY + 1);
                if (bytes.length > MAX_BODY) {
                    error(ex, 413, "request body over " + MAX_BODY + " bytes", null, "invalid_request_error");
                    return;
                }
                body = JSON.readTree(bytes);
            } catch (IOException e) {
                error(ex, 400, "the body is not valid JSON: " + e.getMessage(), null, "invalid_request_error");
                return;
            }
            CompletionRequest req;
            try {
                req = CompletionRequest.parse(body);
            } catch (CompletionRequest.Invalid e) {
                error(ex, 400, e.getMessage(), e.param, "invalid_request_error");
                return;
            }
            if (req.model() != null && !req.model().equals(node.modelId())) {
                error(ex, 404, "the model '" + req.model() + "' does not exist; this node serves '" + node.modelId() + "'",
                        "model", "invalid_request_error", "model_not_found");
                return;
            }
            String given = ex.getRequestHeaders().getFirst("X-Request-Id");
            String requestId = given != null && SAFE_ID.matcher(given).matches() ? given : UUID.randomUUID().toString();
            String scenario = ex.getRequestHeaders().getFirst("X-Latentwatch-Scenario");
            if (scenario != null && !SAFE_ID.matcher(scenario).matches()) scenario = null;
            List<InferenceNode.Choice> choices;
            try {
                choices = node.complete(req, requestId, scenario);
            } catch (CompletionRequest.Invalid e) {
                error(ex, 400, e.getMessage(), e.param, "invalid_request_error");
                return;
            }
            ObjectNode r = JSON.createObjectNode();
            r.put("id", "cmpl-" + requestId);
            r.put("object", "text_completion");
            r.put("created", System.currentTimeMillis() / 1000);
            r.put("model", node.modelId());
            ArrayNode cs = r.putArray("choices");
            int promptTokens = 0, completionTokens = 0;
            for (InferenceNode.Choice c : choices) {
                ObjectNode o = cs.addObject();
                o.put("text", c.text());
                o.put("index", c.index());
                o.putNull("logprobs");
                o.put("finish_reason", c.finishReason());
                promptTokens += c.promptTokens();
                completionTokens += c.completionTokens();
            }
            ObjectNode u = r.putObject("usage");
            u.put("prompt_tokens", promptTokens);
            u.put("completion_tokens", completionTokens);
            u.put("total_tokens", promptTokens + completionTokens);
            ex.getResponseHeaders().add("X-Request-Id", requestId);
            send(ex, 200, r);
        } catch (RuntimeException e) {
            LOG.warn("completion failed", e);
            try {
                error(ex, 500, "generation failed: " + e, null, "server_error");
            } catch (IOException ignored) {
                // the client has gone
            }
        }
    }

    private void models(HttpExchange ex) throws IOException {
        try (ex) {
            ObjectNode r = JSON.createObjectNode();
            r.put("object", "list");
            ObjectNode m = r.putArray("data").addObject();
            m.put("id", node.modelId());
            m.put("object", "model");
            m.put("owned_by", "latentwatch");
            m.put("version", node.model().versionHash());
            send(ex, 200, r);
        }
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
            InferenceNode.Stats s = node.stats();
            ObjectNode r = JSON.createObjectNode();
            r.put("status", "ok");
            r.put("model", node.modelId());
            r.put("node_id", node.nodeId());
            r.put("sampling", node.policy() == null ? "off" : node.policy().toString());
            r.putPOJO("hooks", node.hooks());
            r.put("requests", s.requests());
            r.put("sampled", s.sampled());
            r.put("samples_enqueued", s.enqueued());
            r.put("samples_published", s.published());
            r.put("samples_dropped", s.dropped());
            r.put("samples_failed", s.failed());
            send(ex, 200, r);
        }
    }

    private static void error(HttpExchange ex, int status, String message, String param, String type) throws IOException {
        error(ex, status, message, param, type, null);
    }

    private static void error(HttpExchange ex, int status, String message, String param, String type, String code) throws IOException {
        ObjectNode r = JSON.createObjectNode();
        ObjectNode e = r.putObject("error");
        e.put("message", message);
        e.put("type", type);
        if (param == null) e.putNull("param"); else e.put("param", param);
        if (code == null) e.putNull("code"); else e.put("code", code);
        send(ex, status, r);
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops accepting requests, lets running ones finish for up to 5 s. */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
