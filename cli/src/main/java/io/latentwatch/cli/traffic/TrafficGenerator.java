package io.latentwatch.cli.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Drives an inference node's {@code /v1/completions} with a scenario's prompt mix at a steady rate,
 * bounded in both time and request count, loopback only, and records the ground truth of every
 * request (which were injected anomalies or circuit triggers) under the request id it sent as
 * {@code X-Request-Id}, so alerts carrying that id can be scored.
 */
public final class TrafficGenerator {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A traffic scenario: what share of requests is what. */
    public enum Scenario {
        /** In-domain prompts only (false-alarm baseline). */
        NORMAL,
        /** A topic shift ramping from 0 to 80% of requests over the run. */
        DRIFT,
        /** In-domain prompts with a share of out-of-distribution inputs. */
        ANOMALIES,
        /** In-domain prompts with a share of planted-circuit triggers. */
        CIRCUITS,
        /** In-domain prompts with both anomalies and circuit triggers (each half the share). */
        MIXED;

        public static Scenario parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown scenario '" + s + "': use normal, drift, anomalies, circuits or mixed");
            }
        }

        public String wire() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * @param injectShare share of requests that are anomalies / circuit triggers (scenarios anomalies, circuits, mixed)
     * @param concurrency requests in flight at most
     */
    public record Options(URI baseUrl, Scenario scenario, double rate, Duration duration, int maxRequests, double injectShare,
                          int maxTokens, long seed, int concurrency) {
        public Options {
            if (!(rate > 0)) throw new IllegalArgumentException("--rate must be positive, got " + rate);
            if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("--duration must be positive, got " + duration);
            if (maxRequests <= 0) throw new IllegalArgumentException("--max-requests must be positive, got " + maxRequests);
            if (!(injectShare >= 0 && injectShare <= 1)) throw new IllegalArgumentException("--inject-share must be in [0, 1], got " + injectShare);
            if (concurrency <= 0) throw new IllegalArgumentException("--concurrency must be positive, got " + concurrency);
            requireLoopback(baseUrl);
        }
    }

    /** One request and its ground truth. */
    public record RequestRecord(String requestId, String kind, String subtype, boolean injected, int status, double latencyMs,
                                int completionTokens, long sentAtMs, String prompt) {}

    /** Everything sent. */
    public record Report(String modelId, PromptMix.Domain domain, Scenario scenario, List<RequestRecord> requests, double seconds) {
        public Map<String, Object> summary() {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("model", modelId);
            s.put("domain", domain.name().toLowerCase(Locale.ROOT));
            s.put("scenario", scenario.wire());
            s.put("requests", requests.size());
            s.put("ok", requests.stream().filter(r -> r.status() == 200).count());
            s.put("errors", requests.stream().filter(r -> r.status() != 200).count());
            Map<String, Long> byKind = new TreeMap<>();
            for (RequestRecord r : requests) byKind.merge(r.kind() + (r.subtype() == null ? "" : ":" + r.subtype()), 1L, Long::sum);
            s.put("by_kind", byKind);
            s.put("injected", requests.stream().filter(RequestRecord::injected).count());
            double[] lat = requests.stream().filter(r -> r.status() == 200).mapToDouble(RequestRecord::latencyMs).sorted().toArray();
            s.put("p50_ms", lat.length == 0 ? 0 : Math.round(lat[lat.length / 2] * 10) / 10.0);
            s.put("p99_ms", lat.length == 0 ? 0 : Math.round(lat[Math.min(lat.length - 1, (int) Math.ceil(lat.length * 0.99) - 1)] * 10) / 10.0);
            s.put("seconds", Math.round(seconds * 10) / 10.0);
            s.put("requests_per_s", seconds > 0 ? Math.round(requests.size() / seconds * 100) / 100.0 : 0);
            return s;
        }
    }

    /** Only loopback addresses: a traffic generator must not be pointed at someone else's service by accident. */
    static void requireLoopback(URI u) {
        if (u == null || u.getHost() == null || !("http".equals(u.getScheme()))) {
            throw new IllegalArgumentException("--url must be an http://127.0.0.1:PORT address, got " + u);
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(u.getHost())) {
                if (!a.isLoopbackAddress()) throw new IllegalArgumentException("--url " + u + " is not a loopback address; the traffic generator only drives local nodes");
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--url " + u + ": unknown host", e);
        }
    }

    private final Options options;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public TrafficGenerator(Options options) {
        this.options = options;
    }

    /** The served model's id (GET /v1/models), waiting up to {@code wait} for the node to answer. */
    public String modelId(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(options.baseUrl().resolve("/v1/models"))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return JSON.readTree(r.body()).path("data").path(0).path("id").asText(null);
                last = new IllegalStateException("HTTP " + r.statusCode());
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("no inference node answers at " + options.baseUrl() + " (" + last + ")");
    }

    /** Runs the scenario; {@code listener} sees each finished request (on an HTTP client thread). */
    public Report run(Consumer<RequestRecord> listener) throws InterruptedException {
        String model = modelId(Duration.ofSeconds(30));
        PromptMix mix = new PromptMix(PromptMix.domainFor(model), options.seed());
        List<RequestRecord> records = Collections.synchronizedList(new ArrayList<>());
        Semaphore inFlight = new Semaphore(options.concurrency());
        String prefix = options.scenario().wire() + "-" + Long.toString(Math.abs(options.seed()) % 46656, 36);
        long start = System.nanoTime();
        long end = start + options.duration().toNanos();
        int n = 0;
        while (n < options.maxRequests() && System.nanoTime() < end) {
            double progress = (System.nanoTime() - start) / (double) options.duration().toNanos();
            PromptMix.Prompt p = choose(mix, progress);
            String id = prefix + "-" + p.kind().wire() + "-" + n;
            if (!inFlight.tryAcquire(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS)) break;
            send(model, p, id, n, inFlight, records, listener);
            n++;
            long due = start + (long) (n * 1e9 / options.rate());
            long wait = due - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(Math.min(wait, Math.max(0, end - System.nanoTime())));
        }
        // Let requests in flight finish (bounded: each has a timeout).
        inFlight.tryAcquire(options.concurrency(), 60, TimeUnit.SECONDS);
        List<RequestRecord> done;
        synchronized (records) {
            done = new ArrayList<>(records);
        }
        done.sort(Comparator.comparingLong(RequestRecord::sentAtMs));
        return new Report(model, mix.domain(), options.scenario(), done, (System.nanoTime() - start) / 1e9);
    }

    private PromptMix.Prompt choose(PromptMix mix, double progress) {
        double u = mix.random().nextDouble();
        double share = options.injectShare();
        return switch (options.scenario()) {
            case NORMAL -> mix.normal();
            case DRIFT -> u < 0.8 * Math.min(1, progress) ? mix.drift() : mix.normal();
            case ANOMALIES -> u < share ? mix.anomaly() : mix.normal();
            case CIRCUITS -> u < share ? mix.circuit() : mix.normal();
            case MIXED -> u < share / 2 ? mix.anomaly() : u < share ? mix.circuit() : mix.normal();
        };
    }

    private void send(String model, PromptMix.Prompt p, String id, int n, Semaphore inFlight, List<RequestRecord> records,
                      Consumer<RequestRecord> listener) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.put("prompt", p.text());
        body.put("max_tokens", options.maxTokens());
        body.put("temperature", 0.8);
        body.put("top_p", 0.95);
        body.put("seed", options.seed() * 1_000_003L + n);
        HttpRequest req = HttpRequest.newBuilder(options.baseUrl().resolve("/v1/completions"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("X-Request-Id", id)
                .header("X-Latentwatch-Scenario", options.scenario().wire())
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build();
        long sentMs = System.currentTimeMillis();
        long t0 = System.nanoTime();
        http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((resp, err) -> {
            try {
                int status = err != null ? -1 : resp.statusCode();
                int tokens = 0;
                if (status == 200) {
                    try {
                        JsonNode j = JSON.readTree(resp.body());
                        tokens = j.path("usage").path("completion_tokens").asInt();
                    } catch (Exception ignored) {
                        status = -2;
                    }
                }
                RequestRecord r = new RequestRecord(id, p.kind().wire(), p.subtype(), p.kind().injected(), status,
                        (System.nanoTime() - t0) / 1e6, tokens, sentMs, p.text());
                records.add(r);
                if (listener != null) listener.accept(r);
            } finally {
                inFlight.release();
            }
        });
    }
}
