package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.latentwatch.cli.traffic.TrafficGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code latentwatch traffic}: drives a local inference node with a scenario's prompt mix and records the ground truth. */
@Command(name = "traffic", mixinStandardHelpOptions = true,
        description = {"Drives a local inference node (latentwatch node) with realistic prompts for its model's domain "
                + "(TinyStories-like English, or the zoo corpus for zoo-* models) at a steady rate, bounded in time and "
                + "request count, and records the ground truth of every request: which were injected anomalies (random "
                + "bytes, other languages, code, repeated tokens) or planted-circuit triggers (indirect object, induction, "
                + "successor, greater-than). Each request carries its id as X-Request-Id, so alerts can be scored against it.",
                "Scenarios: normal (in-domain only), drift (a topic shift ramping to 80%%), anomalies, circuits, mixed.",
                "Example: latentwatch traffic --url http://127.0.0.1:8000 --scenario anomalies --rate 4 --duration 1m --ground-truth gt.jsonl"})
public final class TrafficCommand implements Callable<Integer> {
    @Option(names = "--url", required = true, description = "The node's base URL; loopback only (e.g. http://127.0.0.1:8000)")
    URI url;

    @Option(names = "--scenario", defaultValue = "normal", description = "normal, drift, anomalies, circuits or mixed (default: ${DEFAULT-VALUE})")
    String scenario;

    @Option(names = "--rate", defaultValue = "2", description = "Requests per second (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = {"-d", "--duration"}, converter = DurationConverter.class, defaultValue = "30s",
            description = "How long to send (e.g. 30s, 2m) (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--max-requests", defaultValue = "10000", description = "Stop after this many requests (default: ${DEFAULT-VALUE})")
    int maxRequests;

    @Option(names = "--inject-share", defaultValue = "0.15", description = "Share of anomalies / circuit triggers in those scenarios (default: ${DEFAULT-VALUE})")
    double injectShare;

    @Option(names = "--max-tokens", defaultValue = "24", description = "max_tokens of each request (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--concurrency", defaultValue = "2", description = "Requests in flight at most (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the prompt mix and the requests' sampling seeds (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--ground-truth", paramLabel = "FILE", description = "Write one JSON line per request (request_id, kind, subtype, injected, status, latency_ms, prompt)")
    Path groundTruth;

    @Option(names = "--json", description = "Print the summary as JSON")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Do not print each request")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        TrafficGenerator.Options o = new TrafficGenerator.Options(url, TrafficGenerator.Scenario.parse(scenario), rate, duration,
                maxRequests, injectShare, maxTokens, seed, concurrency);
        boolean print = !quiet && !json;
        TrafficGenerator.Report r = new TrafficGenerator(o).run(rec -> {
            if (print) {
                System.out.printf(Locale.ROOT, "%-40s %-8s %-15s %3d %7.1f ms%n", rec.requestId(), rec.kind(),
                        rec.subtype() == null ? "" : rec.subtype(), rec.status(), rec.latencyMs());
            }
        });
        if (groundTruth != null) {
            Path parent = groundTruth.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            ObjectMapper m = new ObjectMapper();
            try (BufferedWriter w = Files.newBufferedWriter(groundTruth, StandardCharsets.UTF_8)) {
                for (TrafficGenerator.RequestRecord rec : r.requests()) {
                    var line = m.createObjectNode();
                    line.put("request_id", rec.requestId());
                    line.put("kind", rec.kind());
                    line.put("subtype", rec.subtype());
                    line.put("injected", rec.injected());
                    line.put("status", rec.status());
                    line.put("latency_ms", Math.round(rec.latencyMs() * 10) / 10.0);
                    line.put("completion_tokens", rec.completionTokens());
                    line.put("sent_at_ms", rec.sentAtMs());
                    line.put("prompt", rec.prompt());
                    w.write(m.writeValueAsString(line));
                    w.newLine();
                }
            }
        }
        if (json) System.out.println(new ObjectMapper().writeValueAsString(r.summary()));
        else System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r.summary()));
        return r.requests().stream().anyMatch(x -> x.status() == 200) ? 0 : 1;
    }
}
