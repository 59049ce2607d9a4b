package io.latentwatch.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard and the alerting rules against a running monitor: {@link MonitorService} from a config file on
 * the in-process broker and schema registry, with two real SAEs (a residual SAE and a circuit SAE carrying a
 * circuit signature) announced on the sae-versions topic, one refused version, and traffic (normal samples, the
 * recon-error, rare-latent and circuit injections, malformed records, more models than the metrics' label cap),
 * scraped by a real Prometheus server. Every dashboard query (model and hook variables at "all"), every dashboard
 * variable query and every rule expression of {@code deploy/prometheus/rules.yml} without its threshold must return
 * data. Skipped, saying so, where the prometheus binary is not installed (Debian package prometheus).
 */
class MonitorPrometheusIT extends AbstractKafkaIT {
    static final String MODEL = "model-prom";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir Path tmp;

    MonitorPrometheusIT() { super(KafkaBackend.Kind.EMBEDDED); }

    @Test
    void everyDashboardQueryAndRuleExpressionReturnsDataFromARunningMonitor() throws Exception {
        Path prometheus = onPath("prometheus");
        assumeTrue(prometheus != null, "the prometheus binary is not installed (Debian package 'prometheus'): dashboard "
                + "queries and rule expressions are not evaluated against a running monitor");
        Path root = repositoryRoot();
        Topics topics = uniqueTopics();
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);

        SyntheticTraffic traffic = new SyntheticTraffic(MODEL, 5);
        // Calibrated as the trainer calibrates (1% of requests): the false-alarm target gauge and its rule need it.
        SaeFixture fx = new SaeFixture(tmp.resolve("artifacts"), traffic).calibratedAt(0.01);
        float[] residRows = fx.rows(3000, SaeFixture.RESID, traffic);
        float[] zRows = fx.rows(400, SaeFixture.HOOK_Z, traffic);
        SaeVersion resid = fx.train(MODEL, SaeFixture.RESID, 64, 128, 8, residRows, 1, "1", List.of());
        SaeVersion zRaw = fx.train(MODEL, SaeFixture.HOOK_Z, 8, 32, 4, zRows, 1, "1", List.of());
        MonitorSaeIT.Injections inj;
        try (SparseAutoencoder r = SaeFixture.load(resid); SparseAutoencoder zs = SaeFixture.load(zRaw)) {
            inj = MonitorSaeIT.Injections.build(fx, r, SaeBaseline.read(Path.of(URI.create(resid.getArtifactUri()))), zs, residRows, zRows);
        }
        SaeVersion z = SaeVersion.newBuilder(zRaw).setCircuits(List.of(inj.signature)).build();
        // A version whose files do not match its announced SHA-256: refused, the previous one stays in force.
        SaeVersion refused = SaeVersion.newBuilder(resid).setVersion("2").setPreviousVersion("1").setSha256("0".repeat(64)).build();

        Map<String, String> config = new LinkedHashMap<>();
        config.put("bootstrap.servers", bootstrapServers());
        config.put("application.id", "it-prom-" + UUID.randomUUID());
        config.put("state.dir", tmp.resolve("state").toString());
        config.put("commit.interval.ms", "100");
        config.put(MonitorConfig.REGISTRY_URL, LatentwatchSerdes.EMBEDDED);
        config.put(MonitorConfig.TOPIC_PREFIX, topics.prefix());
        config.put(MonitorConfig.METRICS_PORT, "0");
        config.put(MonitorConfig.NORM_WARMUP, "20");
        config.put(MonitorConfig.BATCH_MAX_MS, "20");
        config.put(MonitorConfig.RECON_MARGIN, "1.5");
        config.put(MonitorConfig.EXPLAIN_QUEUE, "256");
        config.put(MonitorConfig.INCIDENT_QUIET_MS, "2000");
        MonitorService.Settings settings = MonitorService.settings(config, Map.of(), Map.of());

        Serializer<HiddenStateSample> sampleSer = serdes.serializer(HiddenStateSample.class);
        Serializer<SaeVersion> vSer = serdes.serializer(SaeVersion.class);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicReference<Throwable> trafficFailure = new AtomicReference<>();
        Process server = null;
        try (MonitorService service = MonitorService.create(settings, h -> { }).start();
             KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            MonitorApp app = service.app();
            assertTrue(app.awaitRunning(Duration.ofSeconds(120)), "state " + app.state());
            p.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.RESID, vSer.serialize(topics.saeVersions(), resid))).get();
            p.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.HOOK_Z, vSer.serialize(topics.saeVersions(), z))).get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (app.registry().versionRecord(MODEL, SaeFixture.HOOK_Z) == null && System.nanoTime() < deadline) Thread.sleep(50);
            p.send(new ProducerRecord<>(topics.saeVersions(), MODEL + "|" + SaeFixture.RESID, vSer.serialize(topics.saeVersions(), refused))).get();

            Thread sender = new Thread(() -> {
                try {
                    for (int round = 0; running.get(); round++) {
                        for (int i = 0; i < 20; i++) MonitorSaeIT.send(p, topics, sampleSer, traffic.normal());
                        for (HiddenStateSample s : inj.singles(fx, traffic).values()) MonitorSaeIT.send(p, topics, sampleSer, s);
                        p.send(new ProducerRecord<>(topics.hiddenStates(), MODEL, "not avro".getBytes(StandardCharsets.UTF_8)));
                        if (round % 10 == 0) {
                            // More models than the label cap: the excess folds into "_other" and is counted.
                            for (int m = 0; m <= MonitorMetrics.MAX_LABEL_VALUES; m++) {
                                MonitorSaeIT.send(p, topics, sampleSer, HiddenStateSample.newBuilder(traffic.normal())
                                        .setModelId("fleet-" + m).build());
                            }
                        }
                        p.flush();
                        Thread.sleep(250);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    trafficFailure.set(e);
                }
            }, "prometheus-it-traffic");
            sender.setDaemon(true);
            sender.start();

            int promPort = freePort();
            Files.writeString(tmp.resolve("prometheus.yml"), "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                    + "scrape_configs:\n  - job_name: latentwatch-monitor\n    static_configs: [{targets: [\"127.0.0.1:"
                    + app.metricsPort() + "\"]}]\n");
            server = new ProcessBuilder(prometheus.toString(), "--config.file=" + tmp.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + tmp.resolve("prometheus-data"), "--web.listen-address=127.0.0.1:" + promPort)
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
            String base = "http://127.0.0.1:" + promPort;

            Map<String, String> queries = new LinkedHashMap<>();
            JsonNode dashboard = JSON.readTree(root.resolve("grafana/dashboards/latentwatch.json").toFile());
            for (JsonNode panel : dashboard.get("panels")) {
                for (JsonNode t : panel.get("targets")) {
                    queries.put("panel '" + panel.get("title").asText() + "' " + t.get("refId").asText(),
                            t.get("expr").asText().replace("$model", ".*").replace("$hook", ".*"));
                }
            }
            for (JsonNode group : YAML.readTree(root.resolve("deploy/prometheus/rules.yml").toFile()).get("groups")) {
                for (JsonNode rule : group.get("rules")) {
                    queries.put("rule " + rule.get("alert").asText(), withoutThreshold(rule.get("expr").asText()));
                }
            }
            Map<String, String> variables = new LinkedHashMap<>();
            for (JsonNode v : dashboard.at("/templating/list")) {
                Matcher m = Pattern.compile("label_values\\((.*),\\s*(\\w+)\\)").matcher(v.at("/query/query").asText());
                assertTrue(m.matches(), v.toString());
                variables.put(v.get("name").asText(), m.group(1).replace("$model", ".*"));
            }

            List<String> empty = new ArrayList<>();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            do {
                empty.clear();
                for (var q : queries.entrySet()) {
                    if (result(base, "/api/v1/query?query=", q.getValue()).isEmpty()) empty.add(q.getKey() + ": " + q.getValue());
                }
                for (var v : variables.entrySet()) {
                    if (result(base, "/api/v1/series?match[]=", v.getValue()).isEmpty()) empty.add("variable " + v.getKey() + ": " + v.getValue());
                }
                if (empty.isEmpty() || trafficFailure.get() != null) break;
                Thread.sleep(1000);
            } while (System.nanoTime() < deadline);
            assertEquals(null, trafficFailure.get(), "the traffic thread failed");
            assertEquals(List.of(), empty, "queries without data from the running monitor (processed "
                    + app.metrics().processedTotal() + ", projected " + app.metrics().projectedTotal() + "); Prometheus log in " + tmp);
            System.out.printf("%d dashboard and rule queries and %d variables answered from a running monitor (processed %d, "
                    + "projected %d, explanations %d)%n", queries.size(), variables.size(), app.metrics().processedTotal(),
                    app.metrics().projectedTotal(), app.metrics().explanationsTotal());
        } finally {
            running.set(false);
            if (server != null) {
                server.destroy();
                if (!server.waitFor(20, TimeUnit.SECONDS)) server.destroyForcibly();
            }
        }
    }

    /** A rule's expression without its final comparison with a number: what it compares. */
    static String withoutThreshold(String expr) {
        Matcher m = Pattern.compile("(?s)^(.*\\S)\\s*(>|<|>=|<=|==|!=)\\s*[0-9.e+-]+\\s*$").matcher(expr.trim());
        return m.matches() ? m.group(1) : expr;
    }

    /** The data of a Prometheus API answer; an empty node while Prometheus is not up yet. */
    private JsonNode result(String base, String path, String query) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path
                    + URLEncoder.encode(query, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() == 400) throw new AssertionError("Prometheus rejects '" + query + "': " + body.path("error").asText());
            JsonNode data = body.path("data");
            return data.isArray() ? data : data.path("result");
        } catch (IOException notUpYet) {
            return JSON.createArrayNode();
        }
    }

    /** The repository root (where grafana/ and deploy/ are), from the module directory the tests run in. */
    static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("grafana/dashboards/latentwatch.json"))) return p;
        }
        throw new IllegalStateException("no grafana/dashboards/latentwatch.json above " + Path.of("").toAbsolutePath());
    }

    private static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
