package io.latentwatch.monitor.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpExchange;
import io.latentwatch.common.BearerToken;
import com.sun.net.httpserver.HttpServer;
import io.latentwatch.monitor.incident.IncidentTopology;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.Incident;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The incident page's data from the monitor's state stores, across instances (interactive queries):
 * incidents live in {@link IncidentTopology#STATE} on the instance owning their group's partition,
 * explanations in {@link IncidentTopology#EXPLANATIONS}; the instance asked reads its own stores and
 * asks every other instance at {@code /internal/incidents} and {@code /internal/explanations/<alertId>}
 * (records as Avro JSON).
 */
final class StreamsIncidentSource implements IncidentSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final KafkaStreams streams;
    private final SaeRegistry registry;
    private final HostInfo self;
    private final BearerToken token;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /** {@code token}: sent to the other instances when they require one (null: none). */
    StreamsIncidentSource(KafkaStreams streams, SaeRegistry registry, HostInfo self, BearerToken token) {
        this.token = token;
        this.streams = streams;
        this.registry = registry;
        this.self = self;
    }

    void registerInternal(HttpServer server) {
        server.createContext("/internal/incidents", ex -> answer(ex, () -> {
            ArrayNode a = JSON.createArrayNode();
            for (Incident i : localIncidents()) a.add(avroJson(i));
            return a.toString();
        }));
        server.createContext("/internal/explanations/", ex -> answer(ex, () -> {
            String id = URLDecoder.decode(ex.getRequestURI().getPath().substring("/internal/explanations/".length()), StandardCharsets.UTF_8);
            return localExplanation(id).map(StreamsIncidentSource::avroJson).orElse("");
        }));
    }

    @Override
    public List<Incident> incidents() throws Exception {
        List<Incident> all = new ArrayList<>();
        for (StreamsMetadata md : streams.streamsMetadataForStore(IncidentTopology.STATE)) {
            if (md.hostInfo().equals(self)) {
                all.addAll(localIncidents());
            } else {
                for (JsonNode n : JSON.readTree(get(md.hostInfo(), "/internal/incidents"))) all.add(fromAvroJson(n.asText(), Incident.class));
            }
        }
        return all;
    }

    @Override
    public Optional<Explanation> explanation(String alertId) throws Exception {
        Optional<Explanation> local = localExplanation(alertId);
        if (local.isPresent()) return local;
        for (StreamsMetadata md : streams.streamsMetadataForStore(IncidentTopology.EXPLANATIONS)) {
            if (md.hostInfo().equals(self)) continue;
            String body = get(md.hostInfo(), "/internal/explanations/" + URLEncoder.encode(alertId, StandardCharsets.UTF_8).replace("+", "%20"));
            if (!body.isEmpty()) return Optional.of(fromAvroJson(body, Explanation.class));
        }
        return Optional.empty();
    }

    @Override
    public String latentLabel(String modelId, String hook, String saeVersion, int latent) {
        if (registry == null || saeVersion == null) return null;
        LoadedSae sae = registry.metadata(modelId, hook, saeVersion);
        return sae == null ? null : sae.label(latent);
    }

    private List<Incident> localIncidents() {
        ReadOnlyKeyValueStore<String, Incident> store = streams.store(StoreQueryParameters.fromNameAndType(
                IncidentTopology.STATE, QueryableStoreTypes.<String, Incident>keyValueStore()));
        List<Incident> out = new ArrayList<>();
        try (KeyValueIterator<String, Incident> it = store.all()) {
            it.forEachRemaining(kv -> out.add(kv.value));
        }
        return out;
    }

    private Optional<Explanation> localExplanation(String alertId) {
        ReadOnlyWindowStore<String, Explanation> store;
        try {
            store = streams.store(StoreQueryParameters.fromNameAndType(IncidentTopology.EXPLANATIONS,
                    QueryableStoreTypes.<String, Explanation>windowStore()));
        } catch (RuntimeException noSaeHalf) { // the monitor runs without SAEs: no explanations
            return Optional.empty();
        }
        Explanation found = null;
        try (WindowStoreIterator<Explanation> it = store.fetch(alertId, Instant.EPOCH, Instant.now().plus(Duration.ofDays(1)))) {
            while (it.hasNext()) found = it.next().value;
        }
        return Optional.ofNullable(found);
    }

    private String get(HostInfo host, String path) throws IOException, InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
                .timeout(Duration.ofSeconds(10));
        if (token != null) req.header("Authorization", token.authorization());
        HttpResponse<String> r = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(host + path + " answered " + r.statusCode() + ": " + r.body());
        return r.body();
    }

    @FunctionalInterface
    private interface Body { String get() throws Exception; }

    private static void answer(HttpExchange ex, Body body) throws IOException {
        int status = 200;
        String text;
        try {
            text = body.get();
        } catch (Exception e) {
            status = 503;
            text = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) { out.write(bytes); }
    }

    static <T extends SpecificRecord> String avroJson(T record) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            JsonEncoder enc = EncoderFactory.get().jsonEncoder(record.getSchema(), out);
            new SpecificDatumWriter<T>(record.getSchema()).write(record, enc);
            enc.flush();
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + record.getSchema().getName() + " as Avro JSON", e);
        }
    }

    static <T extends SpecificRecord> T fromAvroJson(String json, Class<T> type) throws IOException {
        SpecificDatumReader<T> reader = new SpecificDatumReader<>(type);
        return reader.read(null, DecoderFactory.get().jsonDecoder(reader.getSchema(), json));
    }
}
