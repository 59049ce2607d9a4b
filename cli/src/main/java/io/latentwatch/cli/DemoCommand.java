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
import io.latentwatch.interp.lens.ResidualDataset;
import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.lens.TunedLensTrainer;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.LensTrajectoryDetector;
import io.latentwatch.monitor.detect.LensTrajectoryScorer;
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
 * hook, published as an SaeVersion); the monitor (SAE projection, detectors, explanations, and the lens trajectory:
 * an early residual read with a tuned lens vs the final residual, warmed up on known-good requests); a traffic
 * generator sending in-domain prompts mixed with injected anomalies and planted-circuit triggers;
 * a few malformed records for the dead-letter path; a refit mid-run that publishes a new SaeVersion
 * (hot swap); and a console printing each alert and a status line. Ends with a summary scored
 * against the injected ground truth.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs latentwatch end to end in this process on real model traffic: an embedded Kafka broker and schema "
                + "registry, an inference node on a real checkpoint (models/zoo-small, else stories260K), an initial SAE training "
                + "run, the monitor, a traffic generator mixing in-domain prompts with injected anomalies and circuit triggers, "
                + "a few malformed records, and a refit mid-run that hot-swaps the SAE version. The lens-trajectory detector compares "
                + "blocks.0.hook_resid_post (read with the tuned lens) with the final residual, its baseline warmed up on known-good "
                + "requests before the traffic. Prints each alert and a status "
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

    @Option(names = "--no-lens-trajectory", description = "Skip the lens-trajectory detector (the node then samples no extra residual hook).")
    boolean noLensTrajectory;

    @Option(names = "--lens-hook", description = "Early residual hook the node samples for the lens-trajectory detector, compared with the "
            + "final residual (blocks.(n-1).hook_resid_post, also sampled). Default: blocks.0.hook_resid_post.")
    String lensHook;

    @Option(names = "--tuned-lens", paramLabel = "DIR", description = "Tuned lens of the model (from `latentwatch lens train`). Default: "
            + "docs/reports/lens/<model>/tuned when its weights' hash matches the model, else one is trained before traffic (--lens-steps).")
    Path tunedLensDir;

    @Option(names = "--lens-steps", defaultValue = "300",
            description = "Training steps of the tuned lens when none fits the model. Default: ${DEFAULT-VALUE}.")
    int lensSteps;

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
    /** Set up when the lens-trajectory detector runs; reported in the summary. */
    private LensSetup lensSetup;

    /** What the demo did for the lens trajectory: hooks (early, final), where the lens came from, the known-good warm-up. */
    private record LensSetup(String earlyHook, String finalHook, List<String> hooksWithoutSae, String source, int warmupRequests,
                             int warmupPairs, int warmupTarget) {}

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
            // The lens trajectory compares an early residual with the final one at the same position: the node samples both.
            String early = null, fin = null;
            List<String> lensOnly = new ArrayList<>();
            if (!noLensTrajectory) {
                fin = LensTrajectoryScorer.finalHook(m.config());
                early = lensHook != null ? lensHook : "blocks.0.hook_resid_post";
                int el = LensTrajectoryScorer.residualLayer(m.config(), early);
                if (el < 0 || el >= m.config().nLayers()) {
                    throw new IllegalArgumentException("--lens-hook " + early + " is not a residual hook before the final one (" + fin + ")");
                }
                for (String x : List.of(early, fin)) if (!x.equals(h)) lensOnly.add(x);
            }
            List<String> nodeHooks = new ArrayList<>(List.of(h));
            nodeHooks.addAll(lensOnly);
            if (hz != null && !nodeHooks.contains(hz)) nodeHooks.add(hz);
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

                // 1b. The tuned lens of the lens-trajectory detector: the committed one when it was trained on these weights, else one trained now.
                TunedLens lens = null;
                String lensSource = null;
                if (early != null) {
                    long tl = System.nanoTime();
                    Path dir = tunedLensDir != null ? tunedLensDir : ModelLocator.committedTunedLens(modelId);
                    String hash = dir == null ? null : lensWeightsHash(dir);
                    if (tunedLensDir != null || (hash != null && hash.equals(m.versionHash()))) {
                        lens = TunedLens.load(dir, m);
                        lensSource = dir + (m.versionHash().equals(hash) ? " (trained on these weights)" : " (WARNING: trained on weights " + hash + ")");
                    } else {
                        out.printf("  no tuned lens fits %s%s: training one (%d steps)...%n", modelId,
                                dir == null ? "" : " (" + dir + " is for weights " + hash + ")", lensSteps);
                        lens = trainLens(m, node, am, domain);
                        lensSource = String.format(Locale.ROOT, "trained in the demo (%d steps, %s positions, final loss %.3f)", lensSteps,
                                lens.info().get("positions"), ((Number) lens.info().getOrDefault("loss_last", Double.NaN)).doubleValue());
                    }
                    out.printf(Locale.ROOT, "  tuned lens for %s in %.1f s: %s%n", modelId, (System.nanoTime() - tl) / 1e9, lensSource);
                }

                // 2. The monitor: projection, detectors, explanations read with the node's model.
                Map<String, Object> streamsCfg = KafkaConfig.withEnvironment(MonitorApp.streamsDefaults(bootstrap, work.resolve("streams")));
                streamsCfg.put("bootstrap.servers", bootstrap);
                MonitorConfig mc = MonitorConfig.of(Map.of(MonitorConfig.EXPLANATIONS_PARTITIONS, "3",
                        MonitorConfig.DRIFT_WINDOW, "200", MonitorConfig.BATCH_MAX_MS, "20",
                        MonitorConfig.HTTP_PORT, "0")); // the incident page (any free port)
                ActivationNormDetector norm = new ActivationNormDetector(50, 4.0, 8.0);
                TunedLens readerLens = lens;
                MonitorApp.Builder mb = MonitorApp.builder(streamsCfg, topics, serdes).normDetector(norm).metricsPort(metricsPort)
                        .sae(mc, Watchlist.empty(), reg -> new ModelRepresentationReader(node, readerLens));
                if (lens != null) {
                    mb.lensTrajectory(new LensTrajectoryScorer(Map.of(modelId, m), Map.of(modelId, lens)), MonitorApp.lensDetector(mc));
                }
                try (MonitorApp monitor = mb.build()) {
                    monitor.start();
                    if (!monitor.awaitRunning(Duration.ofSeconds(60))) {
                        throw new IllegalStateException("the monitor did not reach RUNNING within 60 s (state " + monitor.state() + ")");
                    }
                    String metricsUrl = "http://127.0.0.1:" + monitor.metricsPort() + "/metrics";
                    if (lens != null) lensSetup = lensWarmup(node, domain, mc.integer(MonitorConfig.LENS_WARMUP), early, fin, lensOnly, lensSource);
                    try (NodeHttpServer server = new NodeHttpServer(node, "127.0.0.1", 0, 4)) {
                        out.printf("  monitor RUNNING (exactly_once_v2), metrics on %s; node on %s/v1/completions%n", metricsUrl, server.baseUrl());
                        out.printf("  incident page on http://127.0.0.1:%d/incidents%n", monitor.httpPort());
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

    /** The weights' version hash a tuned lens directory says it was trained on (null when unreadable). */
    static String lensWeightsHash(Path dir) {
        try {
            return new ObjectMapper().readTree(dir.resolve(TunedLens.CONFIG).toFile()).path("model_version_hash").asText(null);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * A tuned lens trained on in-domain text and on the model's own sampled continuations of it (what the node's normal
     * traffic looks like) — the trainer's job when no lens fits the weights — with a progress line.
     */
    private TunedLens trainLens(HookedTransformer m, InferenceNode node, HookedActivationModel am, PromptMix.Domain domain) {
        PromptMix mix = new PromptMix(domain, seed * 104729 + 3);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            StringBuilder t = new StringBuilder(mix.normal().text());
            for (int j = 1 + (i % 3); j > 0; j--) t.append(' ').append(mix.normal().text());
            prompts.add(m.toTokens(t.toString()));
        }
        for (int i = 0; i < 300; i++) prompts.add(m.toTokens(am.generate(mix.normal().text(), maxTokens, 0.8f, seed * 2000 + i)));
        node.modelLock().lock();
        try {
            ResidualDataset data = ResidualDataset.collect(m, prompts);
            int every = Math.max(1, lensSteps / 5);
            long t0 = System.nanoTime();
            TunedLensTrainer.Result r = TunedLensTrainer.train(m, data, new TunedLensTrainer.Options(lensSteps, 256, 3e-3f, seed), step -> {
                if ((step + 1) % every == 0 || step + 1 == lensSteps) {
                    out.printf(Locale.ROOT, "    tuned lens: step %d/%d (%.1f s)%n", step + 1, lensSteps, (System.nanoTime() - t0) / 1e9);
                }
            });
            return r.lens();
        } finally {
            node.modelLock().unlock();
        }
    }

    /**
     * The lens-trajectory baseline is learned on known-good traffic, as an operator would warm it up: in-domain requests
     * through the node before the mixed traffic starts (samples of one model share a partition, so the monitor sees them
     * first). Otherwise the injected anomalies of the first seconds would sit in the baseline and raise its quantile.
     */
    private LensSetup lensWarmup(InferenceNode node, PromptMix.Domain domain, int warmupPairs, String early, String fin,
                                 List<String> lensOnly, String source) {
        SamplingPolicy.Positions pp = SamplingPolicy.Positions.parse(positions);
        int perSample = switch (pp) { case LAST -> 1; case RANDOM_K -> 4; case ALL -> 8; };
        int requests = (int) Math.ceil(warmupPairs * 1.1 / perSample) + 2;
        PromptMix mix = new PromptMix(domain, seed * 7 + 11);
        long t0 = System.nanoTime();
        for (int i = 0; i < requests; i++) {
            node.complete(new io.latentwatch.cli.node.CompletionRequest(null, List.of(mix.normal().text()), maxTokens, 0.8f, 1f, 0,
                    seed * 1_000_003L + i, List.of(), false), "lens-warmup-" + i, "lens-warmup");
        }
        out.printf(Locale.ROOT, "  lens trajectory: %s vs %s; baseline from %d known-good in-domain requests (~%d pairs for a warm-up of %d) in %.1f s%n",
                early, fin, requests, requests * perSample, warmupPairs, (System.nanoTime() - t0) / 1e9);
        if (!lensOnly.isEmpty()) {
            out.printf("  %s sampled for the lens trajectory only: no SAE (counted apart from samples_without_sae)%n", lensOnly);
        }
        return new LensSetup(early, fin, List.copyOf(lensOnly), source, requests, requests * perSample, warmupPairs);
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
        final AtomicLong explanationsWithLensTokens = new AtomicLong();
        final Map<String, Long> alertsByDetector = new ConcurrentHashMap<>();
        final Map<String, Long> dlqByReason = new ConcurrentHashMap<>();
        final List<Alert> received = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicReference<Explanation> example = new AtomicReference<>();
        final AtomicReference<Explanation> lensExample = new AtomicReference<>();
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
            if (LensTrajectoryDetector.NAME.equals(e.getDetector())) lensExample.compareAndSet(null, e);
            if (e.getLogitLensTokens() != null && !e.getLogitLensTokens().isEmpty()) explanationsWithLensTokens.incrementAndGet();
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
        // Hooks the node samples only for the lens trajectory have no SAE by design: counted apart, so
        // samples_without_sae stays the "an SAE is missing" signal.
        Map<String, Double> noSaeByHook = scrape.sumBy("latentwatch_samples_without_sae_total", "hook");
        long lensOnlyNoSae = lensSetup == null ? 0 : lensSetup.hooksWithoutSae().stream().mapToLong(x -> noSaeByHook.getOrDefault(x, 0.0).longValue()).sum();
        s.put("samples_without_sae", m.withoutSaeTotal() - lensOnlyNoSae);
        s.put("malformed_sent", malformed.sent.get());
        s.put("malformed_sent_by_reason", new TreeMap<>(malformed.byReason));
        s.put("dlq", console.deadLetters.get());
        s.put("dlq_by_reason", new TreeMap<>(console.dlqByReason));
        s.put("alerts", console.alerts.get());
        s.put("alerts_by_detector", new TreeMap<>(console.alertsByDetector));
        s.put("explanations", console.explanations.get());
        s.put("explanations_with_decoded_text", console.explanationsWithText.get());
        s.put("explanations_with_logit_lens_tokens", console.explanationsWithLensTokens.get());
        s.put("explanations_by_patchscope_status", scrape.sumBy("latentwatch_explanations_total", "status"));
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
        Set<String> expected = new java.util.TreeSet<>();
        if (circuitWatched) expected.add("circuit");
        if (lensSetup != null) expected.add(LensTrajectoryDetector.NAME);
        s.put("detectors", DemoScore.score(traffic.requests(), alerts, expected, circuitWatched ? circuitTask : null));
        // Incidents: the alerts grouped per request / per window finding, as on-call would be paged.
        s.putAll(DemoScore.incidents(m.incidentsOpenedByScope(), traffic.requests(), alerts));
        if (lensSetup != null) {
            Map<String, Object> lt = lensSummary(traffic, alerts, lensOnlyNoSae);
            Explanation lx = console.lensExample.get();
            if (lx != null) lt.put("explanation_example", explanationExample(lx));
            s.put("lens_trajectory", lt);
        }
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

    /** The lens trajectory's set-up and how often it flagged each kind of request (scored in "detectors" like the others). */
    private Map<String, Object> lensSummary(TrafficGenerator.Report traffic, List<Alert> alerts, long withoutSae) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("early_hook", lensSetup.earlyHook());
        l.put("final_hook", lensSetup.finalHook());
        l.put("tuned_lens", lensSetup.source());
        l.put("warmup_requests", lensSetup.warmupRequests());
        l.put("warmup_pairs_target", lensSetup.warmupTarget());
        l.put("hooks_without_sae", lensSetup.hooksWithoutSae());
        l.put("samples_without_sae_lens_only", withoutSae);
        List<Alert> la = alerts.stream().filter(a -> LensTrajectoryDetector.NAME.equals(a.getDetector())).toList();
        l.put("alerts", la.size());
        l.put("threshold_nats", la.isEmpty() ? null : Math.round(la.get(0).getThreshold() * 1e4) / 1e4);
        Set<String> flagged = new java.util.HashSet<>();
        for (Alert a : la) if (a.getRequestId() != null) flagged.add(a.getRequestId());
        l.put("alerts_on_warmup_requests", la.stream().filter(a -> a.getRequestId() != null && a.getRequestId().startsWith("lens-warmup-")).count());
        // Share of requests of each kind flagged: out-of-distribution inputs should be flagged more than normal traffic.
        Map<String, long[]> byKind = new TreeMap<>();
        for (TrafficGenerator.RequestRecord r : traffic.requests()) {
            if (r.status() != 200) continue;
            for (String k : List.of(r.kind(), r.kind() + (r.subtype() == null ? "" : ":" + r.subtype()))) {
                long[] c = byKind.computeIfAbsent(k, x -> new long[2]);
                c[1]++;
                if (flagged.contains(r.requestId())) c[0]++;
            }
        }
        Map<String, Object> share = new LinkedHashMap<>();
        byKind.forEach((k, c) -> share.put(k, Map.of("flagged", c[0], "requests", c[1], "share", c[1] == 0 ? 0 : Math.round(1000.0 * c[0] / c[1]) / 1000.0)));
        l.put("flagged_by_kind", share);
        return l;
    }

    private static Map<String, Object> explanationExample(Explanation ex) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("text", ex.getText());
        e.put("logit_lens", ex.getLogitLensTokens().stream().map(t -> t.getToken()).toList());
        e.put("tuned_lens", ex.getTunedLensTokens().stream().map(t -> t.getToken()).toList());
        e.put("patchscope_text", ex.getPatchscopeText());
        return e;
    }

    private void printSummary(Map<String, Object> s) {
        out.println();
        out.println("latentwatch demo summary (" + s.get("model") + ")");
        out.printf("  requests (ok)                 %s (%s)  %s%n", s.get("requests"), s.get("requests_ok"), s.get("requests_by_kind"));
        out.printf("  samples sent / processed      %s / %s (activations projected %s, without SAE %s)%n", s.get("samples_sent"),
                s.get("samples_processed"), s.get("activations_projected"), s.get("samples_without_sae"));
        out.printf("  malformed sent / dead-lettered %s / %s  %s%n", s.get("malformed_sent"), s.get("dlq"), s.get("dlq_by_reason"));
        out.printf("  alerts                        %s  %s%n", s.get("alerts"), s.get("alerts_by_detector"));
        out.printf("  explanations (decoded text)   %s (%s; logit-lens tokens %s)  Patchscope %s%n", s.get("explanations"),
                s.get("explanations_with_decoded_text"), s.get("explanations_with_logit_lens_tokens"), s.get("explanations_by_patchscope_status"));
        out.printf("  SAE versions applied / swaps  %s / %s  (%s)%n", s.get("sae_versions_applied"), s.get("hot_swaps"), s.get("refit"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> det = (Map<String, Map<String, Object>>) s.get("detectors");
        det.forEach((d, v) -> { if (!d.equals("unscored")) out.printf("  %-28s precision %s recall %s (flagged %s, true %s)%n", d, v.get("precision"), v.get("recall"),
                v.get("flagged_requests"), v.get("true_positives")); });
        if (det.containsKey("unscored")) out.printf("  alerts about no request         %s%n", det.get("unscored").get("alerts_by_detector"));
        @SuppressWarnings("unchecked")
        Map<String, Object> lt = (Map<String, Object>) s.get("lens_trajectory");
        if (lt != null) {
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> fk = (Map<String, Map<String, Object>>) lt.get("flagged_by_kind");
            StringBuilder b = new StringBuilder();
            fk.forEach((k, v) -> { if (!k.contains(":") || k.startsWith("anomaly")) b.append(' ').append(k).append(' ').append(v.get("flagged")).append('/').append(v.get("requests")); });
            out.printf("  lens trajectory               %s vs %s, threshold %s nats; flagged by kind:%s%n", lt.get("early_hook"), lt.get("final_hook"),
                    lt.get("threshold_nats"), b);
        }
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
