package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.monitor.MetricsScrape;
import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.publisher.KafkaConfig;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything in one process: an in-process Kafka broker and schema registry, a synthetic inference
 * node publishing hidden states (with malformed records and outliers mixed in), the monitor, and a
 * console that prints alerts as they arrive. Ends with a summary checked against the ground truth.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs latentwatch end to end in this process for a while: an embedded Kafka broker and schema "
                + "registry, a synthetic inference node publishing hidden states of two models (with a share of "
                + "malformed records and injected outliers), the monitor, and a console printing each alert as it "
                + "arrives. On exit prints a summary and optionally writes it as JSON.",
                "Example: latentwatch demo --duration 2m --summary-json summary.json"})
public final class DemoCommand implements Callable<Integer> {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    @Option(names = {"-d", "--duration"}, converter = DurationConverter.class, defaultValue = "30s",
            description = "How long to publish traffic (e.g. 30s, 2m, 1m30s). Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--summary-json", paramLabel = "FILE",
            description = "Also write the summary (samples_processed, dlq, alerts, alerts_by_detector, ...) to FILE as JSON.")
    Path summaryJson;

    @Option(names = "--rate", defaultValue = "100",
            description = "Samples per second the synthetic node publishes (all models together). Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--malformed-share", defaultValue = "0.03",
            description = "Share of records that are malformed (cycling through every defect). Default: ${DEFAULT-VALUE}.")
    double malformedShare;

    @Option(names = "--outlier-share", defaultValue = "0.01",
            description = "Share of samples (after the warm-up) whose activations are scaled up. Default: ${DEFAULT-VALUE}.")
    double outlierShare;

    @Option(names = "--outlier-factor", defaultValue = "2.5",
            description = "Largest scale of an injected outlier's activations (each outlier draws a scale between 1.3 and this). Default: ${DEFAULT-VALUE}.")
    double outlierFactor;

    @Option(names = "--threshold", defaultValue = "4.0",
            description = "|z| above which the activation-norm detector alerts. Default: ${DEFAULT-VALUE}.")
    double threshold;

    @Option(names = "--warmup", defaultValue = "50",
            description = "Observations per (model, hook) before the detector scores. Default: ${DEFAULT-VALUE}.")
    long warmup;

    @Option(names = "--metrics-port", defaultValue = "0",
            description = "Port of the monitor's Prometheus /metrics endpoint during the demo (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int metricsPort;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the synthetic traffic. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = {"-q", "--quiet"}, description = "Do not print each alert; only the summary.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Log Kafka's own INFO messages.")
    boolean verbose;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("--duration must be positive, got " + duration);
        if (!(rate > 0)) throw new IllegalArgumentException("--rate must be positive, got " + rate);
        long t0 = System.nanoTime();
        Topics topics = Topics.defaults();
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Path stateDir = Files.createTempDirectory("latentwatch-demo-streams-");
        out.println("latentwatch demo: starting an in-process Kafka broker and schema registry...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String bootstrap = kafka.bootstrapServers();
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                topics.create(admin, 3, (short) 1);
            }
            out.printf("  broker %s, registry %s, topics %s%n", bootstrap, serdes.registryUrl(), topics.all());

            // Environment overrides apply, but the demo's broker is the embedded one.
            Map<String, Object> streamsCfg = KafkaConfig.withEnvironment(MonitorApp.streamsDefaults(bootstrap, stateDir));
            streamsCfg.put("bootstrap.servers", bootstrap);
            ActivationNormDetector detector = new ActivationNormDetector(warmup, threshold, Math.max(threshold, 2 * threshold));
            try (MonitorApp monitor = new MonitorApp(streamsCfg, topics, serdes, detector, metricsPort)) {
                monitor.start();
                if (!monitor.awaitRunning(Duration.ofSeconds(60))) {
                    throw new IllegalStateException("the monitor did not reach RUNNING within 60 s (state " + monitor.state() + ")");
                }
                String metricsUrl = "http://127.0.0.1:" + monitor.metricsPort() + "/metrics";
                out.printf("  monitor RUNNING (exactly_once_v2), metrics on %s%n", metricsUrl);
                out.printf("  publishing ~%.0f samples/s for %ss (%.0f%% malformed, %.0f%% outliers after warm-up)...%n%n",
                        rate, duration.toMillis() / 1000.0, 100 * malformedShare, 100 * outlierShare);

                Console console = new Console(bootstrap, topics, serdes.deserializer(Alert.class));
                Thread consoleThread = new Thread(console, "latentwatch-demo-console");
                consoleThread.start();

                Traffic traffic = publish(bootstrap, topics, serdes);
                Map<String, Object> summary;
                try {
                    // Let the monitor catch up with everything sent, and the console with every alert.
                    long expected = traffic.goodSent + traffic.malformedSent;
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (monitor.metrics().processedTotal() + monitor.metrics().deadLetteredTotal() < expected
                            && System.nanoTime() < deadline) Thread.sleep(50);
                    while ((console.alerts.get() < monitor.metrics().alertsTotal()
                            || console.deadLetters.get() < monitor.metrics().deadLetteredTotal())
                            && System.nanoTime() < deadline) Thread.sleep(50);
                    MetricsScrape scrape = MetricsScrape.fetch(metricsUrl);
                    summary = summary(traffic, console, monitor, scrape, (System.nanoTime() - t0) / 1e9);
                } finally {
                    console.stop.set(true);
                    consoleThread.join(10_000);
                }
                printSummary(summary);
                if (summaryJson != null) {
                    Path parent = summaryJson.toAbsolutePath().getParent();
                    if (parent != null) Files.createDirectories(parent);
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(summaryJson.toFile(), summary);
                    out.println("summary written to " + summaryJson);
                }
            }
        } finally {
            deleteQuietly(stateDir);
        }
        return 0;
    }

    /** What the synthetic node sent: the ground truth the summary is checked against. */
    static final class Traffic {
        long goodSent, malformedSent, outliersSent;
        final Map<String, Long> malformedByReason = new TreeMap<>();
        final Set<String> outlierRequests = ConcurrentHashMap.newKeySet();
        long dropped, failed, published;
    }

    private Traffic publish(String bootstrap, Topics topics, LatentwatchSerdes serdes) throws InterruptedException {
        Traffic t = new Traffic();
        List<SyntheticTraffic> models = List.of(
                new SyntheticTraffic("stories260K", "sha256:1f7c0e2a", "node-a", SyntheticTraffic.DEFAULT_HOOKS, seed,
                        io.latentwatch.interp.tensor.DType.F16),
                new SyntheticTraffic("zoo-gpt-tiny", "sha256:9b02d4e7", "node-b", SyntheticTraffic.DEFAULT_HOOKS.stream()
                        .map(h -> new SyntheticTraffic.HookSpec(h.hook(), h.shape(), h.noise() * 2.5, h.massiveDims())).toList(),
                        seed + 1, io.latentwatch.interp.tensor.DType.F16));
        Map<String, Long> normalPerModel = new HashMap<>();
        Random random = new Random(seed);
        Map<String, Object> producerCfg = KafkaConfig.withEnvironment(HiddenStatePublisher.producerDefaults(bootstrap));
        producerCfg.put("bootstrap.servers", bootstrap);
        var serializer = serdes.serializer(HiddenStateSample.class);
        Map<String, Object> rawCfg = new HashMap<>(producerCfg);
        rawCfg.put("client.id", "latentwatch-demo-broken-node");
        SyntheticTraffic.Defect[] defects = SyntheticTraffic.Defect.values();
        try (HiddenStatePublisher publisher = HiddenStatePublisher.create(producerCfg, serializer, topics.hiddenStates(), 4096);
             KafkaProducer<String, byte[]> broken = new KafkaProducer<>(rawCfg, new StringSerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long n = 0;
            while (System.nanoTime() < end) {
                SyntheticTraffic model = models.get((int) (n % models.size()));
                if (random.nextDouble() < malformedShare) {
                    SyntheticTraffic.Defect d = defects[(int) (t.malformedSent % defects.length)];
                    broken.send(new ProducerRecord<>(topics.hiddenStates(), model.modelId(),
                            model.malformed(d, serializer, topics.hiddenStates())));
                    t.malformedSent++;
                    t.malformedByReason.merge(d.expectedReason(), 1L, Long::sum);
                } else {
                    boolean warm = normalPerModel.getOrDefault(model.modelId(), 0L) > warmup + 20;
                    HiddenStateSample s;
                    if (warm && random.nextDouble() < outlierShare) {
                        // Outliers of varied strength: some barely over the threshold, some far beyond.
                        s = model.outlier(1.3 + random.nextDouble() * Math.max(0, outlierFactor - 1.3));
                        t.outliersSent++;
                    } else {
                        s = model.normal();
                        normalPerModel.merge(model.modelId(), 1L, Long::sum);
                    }
                    if (publisher.publish(s)) {
                        t.goodSent++;
                        if (s.getRequestId().startsWith("outlier")) t.outlierRequests.add(s.getRequestId());
                    } else if (s.getRequestId().startsWith("outlier")) {
                        t.outliersSent--;
                    }
                }
                n++;
                // Pace to the requested rate without drifting: sleep until the n-th slot.
                long due = start + (long) (n * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            publisher.flush(Duration.ofSeconds(30));
            broken.flush();
            t.published = publisher.published();
            t.dropped = publisher.dropped();
            t.failed = publisher.failed();
            // Only acknowledged samples reach the monitor (dropped ones were never sent, failed ones not written).
            t.goodSent = t.published;
        }
        return t;
    }

    /** Reads alerts and dead letters (read_committed: only what the monitor's transactions committed). */
    private final class Console implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong alerts = new AtomicLong();
        final AtomicLong deadLetters = new AtomicLong();
        final Map<String, Long> alertsByDetector = new ConcurrentHashMap<>();
        final Map<String, Long> alertsBySeverity = new ConcurrentHashMap<>();
        final Map<String, Long> dlqByReason = new ConcurrentHashMap<>();
        final Set<String> alertedRequests = ConcurrentHashMap.newKeySet();
        final List<String> falseAlarmRequests = java.util.Collections.synchronizedList(new ArrayList<>());
        private final String bootstrap;
        private final Topics topics;
        private final Deserializer<Alert> alertDeserializer;

        Console(String bootstrap, Topics topics, Deserializer<Alert> alertDeserializer) {
            this.bootstrap = bootstrap;
            this.topics = topics;
            this.alertDeserializer = alertDeserializer;
        }

        @Override
        public void run() {
            Map<String, Object> cfg = new HashMap<>();
            cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            cfg.put(ConsumerConfig.GROUP_ID_CONFIG, "latentwatch-demo-console");
            cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cfg, new StringDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                c.subscribe(List.of(topics.alerts(), topics.dlq()));
                while (!stop.get()) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        if (r.topic().equals(topics.dlq())) onDeadLetter(r);
                        else onAlert(alertDeserializer.deserialize(r.topic(), r.value()));
                    }
                }
            }
        }

        private void onDeadLetter(ConsumerRecord<String, byte[]> r) {
            Header h = r.headers().lastHeader("latentwatch.dlq.reason");
            dlqByReason.merge(h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8), 1L, Long::sum);
            deadLetters.incrementAndGet();
        }

        private void onAlert(Alert a) {
            alerts.incrementAndGet();
            alertsByDetector.merge(a.getDetector(), 1L, Long::sum);
            alertsBySeverity.merge(a.getSeverity().name(), 1L, Long::sum);
            String req = a.getRequestId();
            if (req != null) {
                alertedRequests.add(req);
                if (!req.startsWith("outlier")) falseAlarmRequests.add(req);
            }
            if (!quiet) {
                out.printf(Locale.ROOT, "%s ALERT %-8s %s z=%+.1f (threshold %.1f) request=%s | %s%n",
                        LocalTime.now().format(CLOCK), a.getSeverity(), a.getDetector(), a.getScore(), a.getThreshold(),
                        req, a.getSummary());
            }
        }
    }

    private Map<String, Object> summary(Traffic t, Console console, MonitorApp monitor, MetricsScrape scrape, double seconds) {
        var m = monitor.metrics();
        long outliersDetected = t.outlierRequests.stream().filter(console.alertedRequests::contains).count();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("traffic_s", duration.toMillis() / 1000.0);
        s.put("wall_s", Math.round(seconds * 10) / 10.0);
        s.put("samples_sent", t.goodSent);
        s.put("samples_processed", m.processedTotal());
        s.put("dlq", console.deadLetters.get());
        s.put("dlq_by_reason", new TreeMap<>(console.dlqByReason));
        s.put("alerts", console.alerts.get());
        s.put("alerts_by_detector", new TreeMap<>(console.alertsByDetector));
        s.put("alerts_by_severity", new TreeMap<>(console.alertsBySeverity));
        s.put("malformed_sent", t.malformedSent);
        s.put("malformed_sent_by_reason", t.malformedByReason);
        s.put("outliers_injected", (long) t.outlierRequests.size());
        s.put("outliers_detected", outliersDetected);
        s.put("false_alarms", (long) console.falseAlarmRequests.size());
        s.put("publisher_published", t.published);
        s.put("publisher_dropped", t.dropped);
        s.put("publisher_failed", t.failed);
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("latentwatch_records_processed_total", (long) scrape.sum("latentwatch_records_processed_total"));
        metrics.put("latentwatch_records_dead_lettered_total", (long) scrape.sum("latentwatch_records_dead_lettered_total"));
        metrics.put("latentwatch_alerts_total", (long) scrape.sum("latentwatch_alerts_total"));
        metrics.put("latentwatch_processing_latency_seconds_count", (long) scrape.sum("latentwatch_processing_latency_seconds_count"));
        double count = scrape.sum("latentwatch_processing_latency_seconds_count");
        metrics.put("mean_processing_latency_ms", count == 0 ? 0 : Math.round(1e6 * scrape.sum("latentwatch_processing_latency_seconds_sum") / count) / 1000.0);
        s.put("metrics", metrics);
        boolean consistent = m.processedTotal() == t.goodSent
                && console.deadLetters.get() == t.malformedSent
                && (long) scrape.sum("latentwatch_records_processed_total") == m.processedTotal()
                && (long) scrape.sum("latentwatch_alerts_total") == console.alerts.get()
                && (long) scrape.sum("latentwatch_records_dead_lettered_total") == console.deadLetters.get();
        s.put("consistent", consistent);
        return s;
    }

    private void printSummary(Map<String, Object> s) {
        out.println();
        out.println("latentwatch demo summary");
        out.printf("  samples sent / processed      %s / %s%n", s.get("samples_sent"), s.get("samples_processed"));
        out.printf("  malformed sent / dead-lettered %s / %s  %s%n", s.get("malformed_sent"), s.get("dlq"), s.get("dlq_by_reason"));
        out.printf("  alerts                        %s  %s %s%n", s.get("alerts"), s.get("alerts_by_detector"), s.get("alerts_by_severity"));
        out.printf("  outliers injected / detected  %s / %s, false alarms %s%n", s.get("outliers_injected"), s.get("outliers_detected"), s.get("false_alarms"));
        out.printf("  publisher dropped / failed    %s / %s%n", s.get("publisher_dropped"), s.get("publisher_failed"));
        out.printf("  /metrics                      %s%n", s.get("metrics"));
        out.printf("  counts consistent             %s%n", s.get("consistent"));
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temp directory left behind is harmless
        }
    }
}
