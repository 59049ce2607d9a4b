package io.latentwatch.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The requests of one traffic run ({@code latentwatch traffic --ground-truth FILE}): when sent, status, latency. */
public record GroundTruth(List<Request> requests) {
    public record Request(String requestId, int status, double latencyMs, long sentAtMs) {}

    public static GroundTruth read(Path file) throws IOException {
        ObjectMapper m = new ObjectMapper();
        List<Request> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) continue;
            JsonNode o = m.readTree(line);
            out.add(new Request(o.path("request_id").asText(), o.path("status").asInt(), o.path("latency_ms").asDouble(),
                    o.path("sent_at_ms").asLong()));
        }
        return new GroundTruth(out);
    }

    public long answered() { return requests.stream().filter(r -> r.status() == 200).count(); }

    /** The 99th percentile (nearest rank) of the latencies of requests sent in [fromMs, toMs]; NaN when there are none. */
    public double p99Ms(long fromMs, long toMs) {
        double[] l = requests.stream().filter(r -> r.sentAtMs() >= fromMs && r.sentAtMs() <= toMs)
                .mapToDouble(Request::latencyMs).sorted().toArray();
        if (l.length == 0) return Double.NaN;
        return l[Math.max(0, (int) Math.ceil(0.99 * l.length) - 1)];
    }
}
