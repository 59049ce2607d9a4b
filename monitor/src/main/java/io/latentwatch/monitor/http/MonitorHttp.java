package io.latentwatch.monitor.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.latentwatch.common.BearerToken;
import io.latentwatch.monitor.MonitorTopology;
import io.latentwatch.monitor.DriftLog;
import io.latentwatch.monitor.detect.DriftWindow;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.SaeVersion;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;

/**
 * The monitor's query endpoints (JDK HttpServer), answered across instances with Kafka Streams
 * interactive queries: the instance asked finds the owner of a key ({@code queryMetadataForKey})
 * or every instance holding a store ({@code streamsMetadataForStore}) and forwards with
 * {@code local=true}; each instance's {@code application.server} must be this server's host:port.
 *
 * <ul>
 *   <li>{@code GET /latents?model=M&hook=H} — the current drift window of (M, H): samples so far and
 *       each firing latent's frequency next to its baseline frequency;</li>
 *   <li>{@code GET /alerts?model=M} — the last alerts of every hook of M;</li>
 *   <li>{@code GET /sae-versions} — the SAE versions in force (global: any instance answers);</li>
 *   <li>{@code GET /incidents}, {@code /incidents/<id>}, {@code /explanations/<alertId>} — the live incident page
 *       ({@link IncidentPage}).</li>
 * </ul>
 */
public final class MonitorHttp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final KafkaStreams streams;
    private final SaeRegistry registry;
    private final HostInfo self;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final BearerToken token;

    public MonitorHttp(KafkaStreams streams, SaeRegistry registry, HostInfo self) throws IOException {
        this(streams, registry, self, null);
    }

    /**
     * {@code token}: every endpoint answers 401 without {@code Authorization: Bearer <token>}, and
     * forwarded queries carry it (every instance is configured with the same token); null: open.
     */
    public MonitorHttp(KafkaStreams streams, SaeRegistry registry, HostInfo self, BearerToken token) throws IOException {
        this.streams = streams;
        this.registry = registry;
        this.self = self;
        this.token = token;
        HttpServer raw = HttpServer.create(new InetSocketAddress(self.host(), self.port()), 0);
        this.server = BearerToken.guard(raw, token, List.of());
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "latentwatch-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/latents", ex -> handle(ex, this::latents));
        server.createContext("/alerts", ex -> handle(ex, this::alerts));
        server.createContext("/sae-versions", ex -> handle(ex, q -> versions()));
        // The live incident page, from the incident stores of every instance.
        StreamsIncidentSource incidents = new StreamsIncidentSource(streams, registry, self, token);
        incidents.registerInternal(server);
        new IncidentPage(incidents).register(server);
        server.start();
    }

    public int port() { return server.getAddress().getPort(); }

    @FunctionalInterface
    private interface Handler { JsonNode answer(Map<String, String> query) throws Exception; }

    private void handle(HttpExchange ex, Handler h) throws IOException {
        int status = 200;
        JsonNode body;
        try {
            body = h.answer(query(ex.getRequestURI()));
        } catch (IllegalArgumentException e) {
            status = 400;
            body = JSON.createObjectNode().put("error", e.getMessage());
        } catch (Exception e) {
            status = 503;
            body = JSON.createObjectNode().put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) { out.write(bytes); }
    }

    private JsonNode latents(Map<String, String> q) throws Exception {
        String model = require(q, "model"), hook = require(q, "hook");
        String key = SaeRegistry.key(model, hook);
        if (!q.containsKey("local")) {
            KeyQueryMetadata md = streams.queryMetadataForKey(MonitorTopology.DRIFT_WINDOWS, key, Serdes.String().serializer());
            if (md == null || md.equals(KeyQueryMetadata.NOT_AVAILABLE)) throw new IllegalStateException("store not available yet (rebalancing)");
            if (!md.activeHost().equals(self)) return forward(md.activeHost(), "/latents", q);
        }
        ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
                MonitorTopology.DRIFT_WINDOWS, QueryableStoreTypes.<String, byte[]>keyValueStore()));
        DriftWindow w = DriftLog.read(store, key);
        ObjectNode o = JSON.createObjectNode();
        o.put("model", model).put("hook", hook).put("answeredBy", self.host() + ":" + self.port());
        if (w == null) return o.put("samples", 0);
        o.put("saeVersion", w.saeVersion()).put("window", w.index()).put("samples", w.n());
        LoadedSae sae = registry.metadata(model, hook, w.saeVersion());
        ArrayNode arr = o.putArray("latents");
        w.top(200).entrySet().forEach(e -> {
            ObjectNode l = arr.addObject();
            l.put("latent", e.getKey()).put("count", e.getValue()).put("frequency", (double) e.getValue() / Math.max(1, w.n()));
            if (sae != null && e.getKey() < sae.baseline().firingFrequency().length) {
                l.put("baselineFrequency", sae.baseline().firingFrequency()[e.getKey()]);
                String label = sae.label(e.getKey());
                if (label != null) l.put("label", label);
            }
        });
        return o;
    }

    private JsonNode alerts(Map<String, String> q) throws Exception {
        String model = require(q, "model");
        ArrayNode out = JSON.createArrayNode();
        if (q.containsKey("local")) {
            ReadOnlyKeyValueStore<String, String> store = streams.store(StoreQueryParameters.fromNameAndType(
                    MonitorTopology.RECENT_ALERTS, QueryableStoreTypes.<String, String>keyValueStore()));
            try (KeyValueIterator<String, String> it = store.prefixScan(model + "|", Serdes.String().serializer())) {
                while (it.hasNext()) for (JsonNode n : JSON.readTree(it.next().value)) out.add(n);
            }
            return out;
        }
        // Alerts of one model live under several keys (one per hook), possibly on every instance.
        for (StreamsMetadata md : streams.streamsMetadataForStore(MonitorTopology.RECENT_ALERTS)) {
            Map<String, String> local = new LinkedHashMap<>(q);
            local.put("local", "true");
            JsonNode part = md.hostInfo().equals(self) ? alerts(local) : forward(md.hostInfo(), "/alerts", local);
            for (JsonNode n : part) out.add(n);
        }
        List<JsonNode> sorted = new ArrayList<>();
        out.forEach(sorted::add);
        sorted.sort((a, b) -> Long.compare(b.path("timestampMs").asLong(), a.path("timestampMs").asLong()));
        ArrayNode res = JSON.createArrayNode();
        sorted.forEach(res::add);
        return res;
    }

    private JsonNode versions() {
        ObjectNode o = JSON.createObjectNode();
        for (Map.Entry<String, SaeVersion> e : registry.versions().entrySet()) {
            SaeVersion v = e.getValue();
            o.putObject(e.getKey()).put("version", v.getVersion()).put("sha256", v.getSha256()).put("artifactUri", v.getArtifactUri())
                    .put("dIn", v.getDIn()).put("dSae", v.getDSae()).put("circuits", v.getCircuits().size());
        }
        return o;
    }

    private JsonNode forward(HostInfo host, String path, Map<String, String> q) throws Exception {
        StringBuilder sb = new StringBuilder("http://").append(host.host()).append(':').append(host.port()).append(path).append('?');
        Map<String, String> local = new LinkedHashMap<>(q);
        local.put("local", "true");
        local.forEach((k, v) -> sb.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&'));
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(sb.toString())).timeout(Duration.ofSeconds(10));
        if (token != null) req.header("Authorization", token.authorization());
        HttpResponse<String> r = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(host + path + " answered " + r.statusCode() + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static String require(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null || v.isBlank()) throw new IllegalArgumentException("missing query parameter '" + name + "'");
        return v;
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> m = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) return m;
        for (String part : raw.split("&")) {
            if (part.isEmpty()) continue;
            int eq = part.indexOf('=');
            m.put(URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8),
                    eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return m;
    }

    @Override
    public void close() { server.stop(0); }

}
