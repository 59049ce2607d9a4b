package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.latentwatch.cli.demo.BatchedActivations;
import io.latentwatch.cli.demo.CircuitSetup;
import io.latentwatch.cli.demo.DemoCorpus;
import io.latentwatch.cli.demo.DemoScore;
import io.latentwatch.cli.demo.HookedActivationModel;
import io.latentwatch.cli.demo.ModelRepresentationReader;
import io.latentwatch.cli.node.InferenceNode;
import io.latentwatch.cli.node.ModelLocator;
import io.latentwatch.cli.node.NodeHttpServer;
import io.latentwatch.cli.traffic.PromptMix;
import io.latentwatch.cli.traffic.TrafficGenerator;
import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.monitor.MetricsScrape;
import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.MonitorConfig;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.publisher.KafkaConfig;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.publisher.synthetic.SyntheticTraffic;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.trainer.ArtifactStore;
import io.latentwatch.trainer.KafkaVersionPublisher;
import io.latentwatch.trainer.QualityGates;
import io.latentwatch.trainer.SaeRefit;
import io.latentwatch.trainer.SaeTrainJob;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.URI;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Everything in one process, on real model traffic: an in-process Kafka broker and schema
 * registry; an inference node serving a real checkpoint (the zoo model, else stories260K) and
 * publishing sampled hidden states; an initial trainer run (SAE + baseline + labels for one residual
 * hook, published as an SaeVersion); the monitor (SAE projection, detectors, explanations); a traffic
 * generator sending in-domain prompts mixed with injected anomalies and planted-circuit triggers;
 * a few malformed records for the dead-letter path; a refit mid-run that publishes a new SaeVersion
 * (hot swap); and a console printing each alert and a status line. Ends with a summary scored
 * against the injected ground truth.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs latentwatch end to end in this process on real model traffic: an embedded Kafka broker and schema "
                + "registry, an inference node on a real checkpoint (models/zoo-small, else stories260K), an initial SAE training "
                + "run, the monitor, a traffic generator mixing in-domain prompts with injected anomalies and circuit triggers, "
                + "a few malformed records, and a refit mid-run that hot-swaps the SAE version. Prints each alert and a status "
                + "line as it goes, then a summary with each detector's precision and recall against the injected ground truth.",
                "Example: latentwatch demo --duration 2m --summary-json summary.json"})
public final class DemoCommand implements Callable<Integer> {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Option(names = {"-d", "--duration"}, converter = DurationConverter.class, defaultValue = "30s",
            description = "How long to send traffic (e.g. 30s, 2m, 1m30s). Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--summary-json", paramLabel = "FILE",
            description = "Also write the summary (samples_processed, dlq, alerts, alerts_by_detector, explanations, hot_swaps, "
                    + "detectors' precision and recall, ...) to FILE as JSON.")
    Path summaryJson;

    @Option(names = "--model", description = "Checkpoint for the node (default: models/zoo-small, else stories260K)")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer when not beside the model")
    Path tokenizer;

    @Option(names = "--hook", description = "Hook the node samples and the SAE is trained on (default: blocks.1.hook_resid_post)")
    String hook;

    @Option(names = "--positions", defaultValue = "random-k", description = "Positions the node publishes: last, all or random-k (4 per request). Default: ${DEFAULT-VALUE}.")
    String positions;

    @Option(names = "--rate", defaultValue = "4", description = "Requests per second the traffic generator sends. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--inject-share", defaultValue = "0.2",
            description = "Share of requests that are injected anomalies or circuit triggers (half each). Default: ${DEFAULT-VALUE}.")
    double injectShare;

    @Option(names = "--max-tokens", defaultValue = "8", description = "max_tokens of each request. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--malformed-rate", defaultValue = "0.5",
            description = "Malformed records per second written beside the node (dead-letter path); 0 = none. Default: ${DEFAULT-VALUE}.")
    double malformedRate;

    @Option(names = "--sae-steps", defaultValue = "200", description = "Training steps of each SAE fit. Default: ${DEFAULT-VALUE}.")
    int saeSteps;

    @Option(names = "--circuit-task", defaultValue = "succession",
            description = "Task of the model's circuits.json whose circuit is discovered before traffic and watched by the circuit detector "
                    + "(SaeVersion of blocks.1.attn.hook_result; block 0 on a one-layer model). On zoo-small the discovery finds the "
                    + "succession heads but not the IOI ones (it picks the induction head L1H3); on zoo-base use ioi. Default: ${DEFAULT-VALUE}.")
    String circuitTask;

    @Option(names = "--no-circuits", description = "Skip circuit discovery (the node then samples no hook_z and the circuit detector stays idle).")
    boolean noCircuits;

    @Option(names = "--no-refit", description = "Skip the mid-run refit (no hot swap).")
    boolean noRefit;

    @Option(names = "--metrics-port", defaultValue = "0",
            description = "Port of the monitor's Prometheus /metrics endpoint during the demo (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int metricsPort;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the traffic and the training. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = {"-q", "--quiet"}, description = "Do not print each alert or the status line; only the summary.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Log Kafka's own INFO messages.")
    boolean verbose;

    private final PrintStream out = System.out;
    /** SaeVersions published before traffic (the residual SAE, and the circuit SAE when discovered): the rest are hot swaps. */
    private int initialVersions = 1;
    private boolean circuitWatched;

    @Override
    public Integer call() throws Exception {
        if (duration.isNegative() || duration.isZero()) throw new IllegalArgumentException("--duration must be positive, got " + duration);
        if (!(rate > 0)) throw new IllegalArgumentException("--rate must be positive, got " + rate);
        CliSupport.offline();
        long t0 = System.nanoTime();
        Topics topics = Topics.defaults();
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Path work = Files.createTempDirectory("latentwatch-demo-");
        ModelLocator.Located loc = model != null ? new ModelLocator.Located(model, tokenizer) : ModelLocator.locateDefault();
        out.println("latentwatch demo: starting an in-process Kafka broker and schema registry...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             HookedTransformer m = HookedTransformer.load(loc.model(), tokenizer != null ? tokenizer : loc.tokenizer())) {
            String bootstrap = kafka.bootstrapServers();
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                topics.create(admin, 3, (short) 1);
            }
            String modelId = InferenceNode.modelIdOf(loc.model());
            String h = hook != null ? hook : InferenceNode.defaultHook(m);
            out.printf("  broker %s, registry %s; model %s (%d layers, d_model %d) from %s%n", bootstrap, serdes.registryUrl(),
                    modelId, m.config().nLayers(), m.config().dModel(), loc.model());

            Map<String, Object> producerCfg = KafkaConfig.withEnvironment(HiddenStatePublisher.producerDefaults(bootstrap));
            producerCfg.put("bootstrap.servers", bootstrap);
            HiddenStatePublisher publisher = HiddenStatePublisher.create(producerCfg, serdes.serializer(HiddenStateSample.class),
                    topics.hiddenStates(), 4096);
            // The circuit detector reads the per-head outputs of one layer's attention (hook_z) at the prompt's last position.
            Path circuitsJson = (Files.isDirectory(loc.model()) ? loc.model() : loc.model().toAbsolutePath().getParent()).resolve("circuits.json");
            int circuitLayer = Math.min(1, m.config().nLayers() - 1);
            String hz = !noCircuits && Files.isRegularFile(circuitsJson) ? "blocks." + circuitLayer + ".attn.hook_z" : null;
            List<String> nodeHooks = hz == null || hz.equals(h) ? List.of(h) : List.of(h, hz);
            SamplingPolicy policy = new SamplingPolicy(1.0, Set.copyOf(nodeHooks), SamplingPolicy.Positions.parse(positions), 4, seed);
            try (InferenceNode node = new InferenceNode(m, modelId, policy, nodeHooks, publisher, new ActivationEncoder(), "demo-node", false);
                 KafkaVersionPublisher<byte[]> versions = versionPublisher(bootstrap, serdes, topics)) {
                // 1. The initial trainer run: an SAE, its baseline and labels, published as the first SaeVersion.
                ArtifactStore store = new ArtifactStore(work.resolve("artifacts"));
                HookedActivationModel am = new HookedActivationModel(m, modelId, node.modelLock());
                PromptMix.Domain domain = PromptMix.domainFor(modelId);
                long tt = System.nanoTime();
                SaeRefit.Result first = refit(node, am, h, store, versions, domain, seed).call();
                if (!first.published()) throw new IllegalStateException("the initial SAE did not pass the quality gates: " + first.reasons());
                out.printf("  trained SAE %s for %s in %.1f s: FVU %.3f, L0 %.1f, dead %.0f%% -> SaeVersion published%n", first.version(), h,
                        (System.nanoTime() - tt) / 1e9, first.metrics().get("fvu"), first.metrics().get("l0"), 100 * first.metrics().get("dead_fraction"));
                if (hz != null) {
                    // Circuit signatures (O'Neill & Bui 2024) from circuits.json's positive/negative prompts, published like the SAE.
                    PromptMix bm = new PromptMix(domain, seed * 31 + 5);
                    List<String> baseline = new ArrayList<>();
                    for (int i = 0; i < 2000; i++) baseline.add(bm.normal().text());
                    try {
                        CircuitSetup.Published c = CircuitSetup.run(m, modelId, circuitsJson, circuitTask, circuitLayer, baseline,
                                node.modelLock(), store, versions, seed);
                        node.withCircuitHooks(Set.of(hz));
                        initialVersions = 2;
                        circuitWatched = true;
                        out.printf(Locale.ROOT, "  circuit '%s' discovered in %.1f s: heads %s, match at >= %d -> SaeVersion %s for %s published%n",
                                circuitTask, c.seconds(), c.signature().getHeads().stream().map(x -> "L" + x.getLayer() + "H" + x.getHead()).toList(),
                                c.signature().getMinMatchedHeads(), c.version(), c.hook());
                    } catch (Exception e) {
                        // hook_z samples still flow (raw); the monitor counts them as without SAE.
                        out.println("  circuit discovery skipped: " + e.getMessage());
                    }
                }

                // 2. The monitor: projection, detectors, explanations read with the node's model.
                Map<String, Object> streamsCfg = KafkaConfig.withEnvironment(MonitorApp.streamsDefaults(bootstrap, work.resolve("streams")));
                streamsCfg.put("bootstrap.servers", bootstrap);
                MonitorConfig mc = MonitorConfig.of(Map.of(MonitorConfig.EXPLANATIONS_PARTITIONS, "3",
                        MonitorConfig.DRIFT_WINDOW, "200", MonitorConfig.BATCH_MAX_MS, "20"));
                ActivationNormDetector norm = new ActivationNormDetector(50, 4.0, 8.0);
                try (MonitorApp monitor = new MonitorApp(streamsCfg, topics, serdes, norm, metricsPort, mc, Watchlist.empty(),
                        new ModelRepresentationReader(node))) {
                    monitor.start();
                    if (!monitor.awaitRunning(Duration.ofSeconds(60))) {
                        throw new IllegalStateException("the monitor did not reach RUNNING within 60 s (state " + monitor.state() + ")");
                    }
                    String metricsUrl = "http://127.0.0.1:" + monitor.metricsPort() + "/metrics";
                    try (NodeHttpServer server = new NodeHttpServer(node, "127.0.0.1", 0, 4)) {
                        out.printf("  monitor RUNNING (exactly_once_v2), metrics on %s; node on %s/v1/completions%n", metricsUrl, server.baseUrl());
                        out.printf("  sending ~%.1f requests/s for %ss (%.0f%% injected anomalies and circuit triggers), positions %s%n%n",
                                rate, duration.toMillis() / 1000.0, 100 * injectShare, positions);
                        return run(kafka, topics, serdes, node, monitor, server, metricsUrl, am, h, store, versions, domain, work, t0);
                    }
                }
            }
        } finally {
            ArtifactStoreCleanup.delete(work);
        }
    }

    private int run(EmbeddedKafka kafka, Topics topics, LatentwatchSerdes serdes, InferenceNode node, MonitorApp monitor,
                    NodeHttpServer server, String metricsUrl, HookedActivationModel am, String h, ArtifactStore store,
                    KafkaVersionPublisher<byte[]> versions, PromptMix.Domain domain, Path work, long t0) throws Exception {
        Map<String, TrafficGenerator.RequestRecord> truth = new ConcurrentHashMap<>();
        Console console = new Console(kafka.bootstrapServers(), topics, serdes.deserializer(Alert.class),
                serdes.deserializer(Explanation.class), truth);
        Thread consoleThread = new Thread(console, "latentwatch-demo-console");
        consoleThread.start();
        AtomicBoolean stop = new AtomicBoolean();
        Malformed malformed = new Malformed(kafka.bootstrapServers(), topics, serdes, stop);
        Thread malformedThread = new Thread(malformed, "latentwatch-demo-malformed");
        if (malformedRate > 0) malformedThread.start();
        AtomicReference<String> refitOutcome = new AtomicReference<>(noRefit ? "skipped (--no-refit)" : "not run");
        Thread refitThread = new Thread(() -> {
            try {
                Thread.sleep(duration.toMillis() / 3);
                if (stop.get()) return;
                long tt = System.nanoTime();
                SaeRefit.Result r = refit(node, am, h, store, versions, domain, seed + 1).call();
                String what = r.published()
                        ? String.format(Locale.ROOT, "SaeVersion %s published after %.1f s (FVU %.3f): hot swap", r.version(), (System.nanoTime() - tt) / 1e9, r.metrics().get("fvu"))
                        : "refit rejected by the quality gates: " + r.reasons();
                refitOutcome.set(what);
                out.printf("%s REFIT %s%n", LocalTime.now().format(CLOCK), what);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                refitOutcome.set("refit failed: " + e);
                out.printf("%s REFIT failed: %s%n", LocalTime.now().format(CLOCK), e);
            }
        }, "latentwatch-demo-refit");
        refitThread.setDaemon(true);
        if (!noRefit) refitThread.start();
        Thread status = new Thread(() -> {
            while (!stop.get()) {
                try {
                    Thread.sleep(5000);
                } catch (InterruptedException e) {
                    return;
                }
                if (quiet || stop.get()) continue;
                var st = node.stats();
                var mm = monitor.metrics();
                out.printf(Locale.ROOT, "%s STATUS requests %d, samples published %d, processed %d, projected %d, dlq %d, alerts %d %s, explanations %d%n",
                        LocalTime.now().format(CLOCK), st.requests(), st.published(), mm.processedTotal(), mm.projectedTotal(),
                        mm.deadLetteredTotal(), console.alerts.get(), new TreeMap<>(console.alertsByDetector), console.explanations.get());
            }
        }, "latentwatch-demo-status");
        status.setDaemon(true);
        status.start();

        TrafficGenerator.Report traffic;
        try {
            var opts = new TrafficGenerator.Options(URI.create(server.baseUrl()), TrafficGenerator.Scenario.MIXED, rate, duration,
                    (int) Math.min(100_000, Math.ceil(rate * duration.toSeconds() * 2) + 10), injectShare, maxTokens, seed, 2);
            traffic = new TrafficGenerator(opts).run(r -> truth.put(r.requestId(), r));
        } finally {
            stop.set(true);
        }
        malformedThread.join(5000);
        if (!noRefit) refitThread.join(120_000);
        // Let the node's sender finish, the monitor catch up with everything sent, the console with every alert.
        Map<String, Object> summary;
        try {
            node.publisherFlush(Duration.ofSeconds(30));
            var st = node.stats();
            long expected = st.published() + malformed.sent.get();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (monitor.metrics().processedTotal() + monitor.metrics().deadLetteredTotal() < expected && System.nanoTime() < deadline) Thread.sleep(100);
            // Explanations are asynchronous: give the worker a moment for the last alerts.
            long quiet = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while ((console.alerts.get() < monitor.metrics().alertsTotal() || console.deadLetters.get() < monitor.metrics().deadLetteredTotal()
                    || System.nanoTime() < quiet) && System.nanoTime() < deadline) Thread.sleep(100);
            MetricsScrape scrape = MetricsScrape.fetch(metricsUrl);
            summary = summary(traffic, node, console, monitor, scrape, malformed, refitOutcome.get(), (System.nanoTime() - t0) / 1e9);
        } finally {
            console.stop.set(true);
            consoleThread.join(10_000);
            status.interrupt();
        }
        printSummary(summary);
        if (summaryJson != null) {
            Path parent = summaryJson.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(summaryJson.toFile(), summary);
            out.println("summary written to " + summaryJson);
        }
        return 0;
    }

    /** One SAE fit on fresh in-domain prompts, judged by the quality gates, published as an SaeVersion. */
    private SaeRefit refit(InferenceNode node, HookedActivationModel am, String h, ArtifactStore store, KafkaVersionPublisher<byte[]> versions,
                           PromptMix.Domain domain, long s) {
        int d = am.dModel();
        SaeConfig cfg = SaeConfig.topk(d, Math.min(4096, 8 * d), Math.max(4, Math.min(32, d / 8)), h, am.modelId());
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(saeSteps).withBatchSize(256).withSeed(s)
                .withEvalEvery(Math.max(1, saeSteps / 5)).withProgressBar(false);
        // Texts shaped like the node's normal traffic (DemoCorpus says why); a quarter held out for the baseline.
        List<String> prompts = DemoCorpus.reference(am, new PromptMix(domain, s * 7919), 1000, maxTokens, 0.8f, s);
        BatchedActivations acts = BatchedActivations.compute(node.model(), h, prompts, 64, node.modelLock());
        SaeTrainJob job = SaeTrainJob.of(cfg, opt, acts::source)
                .withBuffers(4_096, 1_024, 512).withValidation(DemoCorpus.VALIDATION_SHARE, 8_192).withLogitLens(am.logitLens());
        // Looser than the defaults: a few hundred steps on a tiny model; the refit must not be worse than what is in force.
        QualityGates gates = new QualityGates(0.5, 1, 64, 0.9, 0.5, -0.05, 0.02);
        return new SaeRefit(am.modelId(), job, store, gates, versions);
    }

    private static KafkaVersionPublisher<byte[]> versionPublisher(String bootstrap, LatentwatchSerdes serdes, Topics topics) {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put("bootstrap.servers", bootstrap);
        cfg.put("enable.idempotence", "true");
        cfg.put("acks", "all");
        cfg.put("client.id", "latentwatch-demo-trainer");
        var ser = serdes.serializer(SaeVersion.class);
        return new KafkaVersionPublisher<>(new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer()),
                v -> ser.serialize(topics.saeVersions(), v), topics.saeVersions());
    }

    /** Malformed records from a "broken node" at a steady rate: the dead-letter path's ground truth. */
    private final class Malformed implements Runnable {
        final AtomicLong sent = new AtomicLong();
        final Map<String, Long> byReason = new ConcurrentHashMap<>();
        private final String bootstrap;
        private final Topics topics;
        private final LatentwatchSerdes serdes;
        private final AtomicBoolean stop;

        Malformed(String bootstrap, Topics topics, LatentwatchSerdes serdes, AtomicBoolean stop) {
            this.bootstrap = bootstrap;
            this.topics = topics;
            this.serdes = serdes;
            this.stop = stop;
        }

        @Override
        public void run() {
            Map<String, Object> cfg = new HashMap<>();
            cfg.put("bootstrap.servers", bootstrap);
            cfg.put("client.id", "latentwatch-demo-broken-node");
            SyntheticTraffic broken = new SyntheticTraffic("broken-model", seed);
            var serializer = serdes.serializer(HiddenStateSample.class);
            SyntheticTraffic.Defect[] defects = SyntheticTraffic.Defect.values();
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer())) {
                long start = System.nanoTime();
                while (!stop.get()) {
                    long n = sent.get();
                    long due = start + (long) ((n + 1) * 1e9 / malformedRate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) Thread.sleep(Math.min(200, wait / 1_000_000 + 1));
                    if (System.nanoTime() < due || stop.get()) continue;
                    SyntheticTraffic.Defect d = defects[(int) (n % defects.length)];
                    p.send(new ProducerRecord<>(topics.hiddenStates(), broken.modelId(), broken.malformed(d, serializer, topics.hiddenStates())));
                    sent.incrementAndGet();
                    byReason.merge(d.expectedReason(), 1L, Long::sum);
                }
                p.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads alerts, explanations and dead letters (read_committed: only what the monitor's transactions committed). */
    private final class Console implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong alerts = new AtomicLong();
        final AtomicLong deadLetters = new AtomicLong();
        final AtomicLong explanations = new AtomicLong();
        final AtomicLong explanationsWithText = new AtomicLong();
        final Map<String, Long> alertsByDetector = new ConcurrentHashMap<>();
        final Map<String, Long> dlqByReason = new ConcurrentHashMap<>();
        final List<Alert> received = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicReference<Explanation> example = new AtomicReference<>();
        private final String bootstrap;
        private final Topics topics;
        private final Deserializer<Alert> alertDeserializer;
        private final Deserializer<Explanation> explanationDeserializer;
        private final Map<String, TrafficGenerator.RequestRecord> truth;

        Console(String bootstrap, Topics topics, Deserializer<Alert> alertDeserializer, Deserializer<Explanation> explanationDeserializer,
                Map<String, TrafficGenerator.RequestRecord> truth) {
            this.bootstrap = bootstrap;
            this.topics = topics;
            this.alertDeserializer = alertDeserializer;
            this.explanationDeserializer = explanationDeserializer;
            this.truth = truth;
        }

        @Override
        public void run() {
            Map<String, Object> cfg = new HashMap<>();
            cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            cfg.put(ConsumerConfig.GROUP_ID_CONFIG, "latentwatch-demo-console");
            cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cfg, new StringDeserializer(), new ByteArrayDeserializer())) {
                c.subscribe(List.of(topics.alerts(), topics.dlq(), topics.explanations()));
                while (!stop.get()) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        try {
                            if (r.topic().equals(topics.dlq())) onDeadLetter(r);
                            else if (r.topic().equals(topics.explanations())) onExplanation(explanationDeserializer.deserialize(r.topic(), r.value()));
                            else onAlert(alertDeserializer.deserialize(r.topic(), r.value()));
                        } catch (RuntimeException e) {
                            out.println("console: cannot read a record of " + r.topic() + ": " + e);
                        }
                    }
                }
            }
        }

        private void onDeadLetter(ConsumerRecord<String, byte[]> r) {
            Header hd = r.headers().lastHeader("latentwatch.dlq.reason");
            dlqByReason.merge(hd == null ? "?" : new String(hd.value(), StandardCharsets.UTF_8), 1L, Long::sum);
            deadLetters.incrementAndGet();
        }

        private void onExplanation(Explanation e) {
            explanations.incrementAndGet();
            if (e.getPatchscopeText() != null && !e.getPatchscopeText().isBlank()) {
                explanationsWithText.incrementAndGet();
                example.compareAndSet(null, e);
            }
        }

        private void onAlert(Alert a) {
            alerts.incrementAndGet();
            received.add(a);
            alertsByDetector.merge(a.getDetector(), 1L, Long::sum);
            if (!quiet) {
                TrafficGenerator.RequestRecord t = a.getRequestId() == null ? null : truth.get(a.getRequestId());
                String gt = a.getRequestId() == null ? "window" : t == null ? "?" : t.kind() + (t.injected() ? ":" + t.subtype() : "");
                out.printf(Locale.ROOT, "%s ALERT %-8s %-14s score=%.3g thr=%.3g pos=%s truth=%s | %s%n",
                        LocalTime.now().format(CLOCK), a.getSeverity(), a.getDetector(), a.getScore(), a.getThreshold(),
                        a.getPosition(), gt, a.getSummary());
            }
        }
    }

    private Map<String, Object> summary(TrafficGenerator.Report traffic, InferenceNode node, Console console, MonitorApp monitor,
                                        MetricsScrape scrape, Malformed malformed, String refit, double seconds) {
        var m = monitor.metrics();
        var st = node.stats();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", traffic.modelId());
        s.put("traffic_s", duration.toMillis() / 1000.0);
        s.put("wall_s", Math.round(seconds * 10) / 10.0);
        s.put("requests", traffic.requests().size());
        s.put("requests_ok", traffic.requests().stream().filter(r -> r.status() == 200).count());
        s.put("requests_by_kind", traffic.summary().get("by_kind"));
        s.put("samples_sent", st.published());
        s.put("samples_dropped", st.dropped() + st.notEnqueued());
        s.put("samples_processed", m.processedTotal());
        s.put("activations_projected", m.projectedTotal());
        s.put("samples_without_sae", m.withoutSaeTotal());
        s.put("malformed_sent", malformed.sent.get());
        s.put("malformed_sent_by_reason", new TreeMap<>(malformed.byReason));
        s.put("dlq", console.deadLetters.get());
        s.put("dlq_by_reason", new TreeMap<>(console.dlqByReason));
        s.put("alerts", console.alerts.get());
        s.put("alerts_by_detector", new TreeMap<>(console.alertsByDetector));
        s.put("explanations", console.explanations.get());
        s.put("explanations_with_decoded_text", console.explanationsWithText.get());
        Explanation ex = console.example.get();
        if (ex != null) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("detector", ex.getDetector());
            e.put("patchscope_text", ex.getPatchscopeText());
            e.put("logit_lens", ex.getLogitLensTokens().stream().map(t -> t.getToken()).toList());
            s.put("explanation_example", e);
        }
        long swapped = (long) scrape.sum("latentwatch_sae_versions_swapped_total");
        s.put("sae_versions_applied", swapped);
        s.put("hot_swaps", Math.max(0, swapped - initialVersions));
        s.put("sae_versions_rejected", (long) scrape.sum("latentwatch_sae_versions_rejected_total"));
        s.put("refit", refit);
        List<Alert> alerts;
        synchronized (console.received) {
            alerts = new ArrayList<>(console.received);
        }
        s.put("detectors", DemoScore.score(traffic.requests(), alerts, circuitWatched ? Set.of("circuit") : Set.of(), circuitWatched ? circuitTask : null));
        Map<String, Object> metrics = new LinkedHashMap<>();
        for (String n : List.of("latentwatch_records_processed_total", "latentwatch_records_dead_lettered_total", "latentwatch_alerts_total",
                "latentwatch_activations_projected_total", "latentwatch_explanations_total")) {
            metrics.put(n, (long) scrape.sum(n));
        }
        double count = scrape.sum("latentwatch_end_to_end_latency_seconds_count");
        metrics.put("mean_end_to_end_latency_ms", count == 0 ? 0 : Math.round(1e6 * scrape.sum("latentwatch_end_to_end_latency_seconds_sum") / count) / 1000.0);
        s.put("metrics", metrics);
        s.put("consistent", m.processedTotal() == st.published() && console.deadLetters.get() == malformed.sent.get()
                && (long) scrape.sum("latentwatch_alerts_total") == console.alerts.get());
        return s;
    }

    private void printSummary(Map<String, Object> s) {
        out.println();
        out.println("latentwatch demo summary (" + s.get("model") + ")");
        out.printf("  requests (ok)                 %s (%s)  %s%n", s.get("requests"), s.get("requests_ok"), s.get("requests_by_kind"));
        out.printf("  samples sent / processed      %s / %s (activations projected %s, without SAE %s)%n", s.get("samples_sent"),
                s.get("samples_processed"), s.get("activations_projected"), s.get("samples_without_sae"));
        out.printf("  malformed sent / dead-lettered %s / %s  %s%n", s.get("malformed_sent"), s.get("dlq"), s.get("dlq_by_reason"));
        out.printf("  alerts                        %s  %s%n", s.get("alerts"), s.get("alerts_by_detector"));
        out.printf("  explanations (decoded text)   %s (%s)%n", s.get("explanations"), s.get("explanations_with_decoded_text"));
        out.printf("  SAE versions applied / swaps  %s / %s  (%s)%n", s.get("sae_versions_applied"), s.get("hot_swaps"), s.get("refit"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> det = (Map<String, Map<String, Object>>) s.get("detectors");
        det.forEach((d, v) -> { if (!d.equals("unscored")) out.printf("  %-28s precision %s recall %s (flagged %s, true %s)%n", d, v.get("precision"), v.get("recall"),
                v.get("flagged_requests"), v.get("true_positives")); });
        if (det.containsKey("unscored")) out.printf("  alerts about no request         %s%n", det.get("unscored").get("alerts_by_detector"));
        out.printf("  /metrics                      %s%n", s.get("metrics"));
        out.printf("  counts consistent             %s%n", s.get("consistent"));
    }

    /** Deletes the demo's temp directory (artifacts, state); best effort. */
    static final class ArtifactStoreCleanup {
        static void delete(Path dir) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (Exception ignored) {
                // a temp directory left behind is harmless
            }
        }
    }
}
