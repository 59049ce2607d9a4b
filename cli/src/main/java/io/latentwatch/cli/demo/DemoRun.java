package io.latentwatch.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.latentwatch.cli.traffic.PromptMix;
import io.latentwatch.cli.traffic.TrafficGenerator;
import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.monitor.MetricsScrape;
import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.MonitorConfig;
import io.latentwatch.monitor.MonitorService;
import io.latentwatch.node.InferenceNode;
import io.latentwatch.node.ModelLocator;
import io.latentwatch.node.NodeHttpServer;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.common.KafkaConfig;
import io.latentwatch.publisher.SampleKey;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import io.latentwatch.common.ArtifactStore;
import org.apache.kafka.streams.StreamsConfig;
import io.latentwatch.trainer.CircuitRefit;
import io.latentwatch.trainer.KafkaVersionPublisher;
import io.latentwatch.trainer.RefitScheduler;
import io.latentwatch.trainer.SaeRefit;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * One run of {@code latentwatch demo}: embedded broker and registry, then the product's own services in this JVM (the
 * inference node, the trainer's refits, the deployed {@link MonitorService} from {@code monitor.*} settings), the traffic
 * generator against the node, a "broken node" for the dead-letter path, a refit mid-run scheduled by the trainer's
 * {@link RefitScheduler} (hot swap), a console, and the summary ({@link DemoSummary}).
 */
public final class DemoRun implements Callable<Integer> {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    /** Partitions of every demo topic: samples keyed by request spread over them, as in a deployment. */
    private static final int PARTITIONS = 3;
    /** The refit outcome until the scheduled refit has returned. */
    private static final String NOT_RUN = "not run";

    private final DemoOptions o;
    private final PrintStream out;
    private final Topics topics = Topics.defaults();
    private final LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
    private int initialVersions = 1;
    private boolean circuitWatched;
    /** The published circuit refit's metrics (its held-out false-alarm measurement among them), for the summary. */
    private Map<String, Double> circuitMetrics = Map.of();
    private DemoLens.Setup lensSetup;

    public DemoRun(DemoOptions o, PrintStream out) {
        this.o = o;
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path work = Files.createTempDirectory("latentwatch-demo-");
        ModelLocator.Located loc = o.model() != null ? new ModelLocator.Located(o.model(), o.tokenizer()) : ModelLocator.locateDefault();
        out.println("latentwatch demo: starting an in-process Kafka broker and schema registry...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             HookedTransformer m = HookedTransformer.load(loc.model(), o.tokenizer() != null ? o.tokenizer() : loc.tokenizer())) {
            String bootstrap = kafka.bootstrapServers();
            // What every service does at start (MonitorService, TrainerService, NodeService): create the missing topics.
            topics.createMissing(kafka.clientConfig(), TopicSettings.of(PARTITIONS));
            String modelId = InferenceNode.modelIdOf(loc.model());
            String h = o.hook() != null ? o.hook() : InferenceNode.defaultHook(m);
            out.printf("  broker %s, registry %s; model %s (%d layers, d_model %d) from %s%n", bootstrap, serdes.registryUrl(),
                    modelId, m.config().nLayers(), m.config().dModel(), loc.model());

            // The circuit detector reads the per-head outputs of one layer's attention (hook_z) at the prompt's last position.
            Path circuitsJson = (Files.isDirectory(loc.model()) ? loc.model() : loc.model().toAbsolutePath().getParent()).resolve("circuits.json");
            int circuitLayer = Math.min(1, m.config().nLayers() - 1);
            String hz = !o.noCircuits() && Files.isRegularFile(circuitsJson) ? "blocks." + circuitLayer + ".attn.hook_z" : null;
            // The lens trajectory compares an early residual with the final one at the same position: the node samples both.
            DemoLens lenses = new DemoLens(o, out);
            DemoLens.Hooks lensHooks = lenses.hooks(m, h);
            List<String> nodeHooks = new ArrayList<>(List.of(h));
            if (lensHooks != null) nodeHooks.addAll(lensHooks.lensOnly());
            if (hz != null && !nodeHooks.contains(hz)) nodeHooks.add(hz);
            SamplingPolicy policy = new SamplingPolicy(1.0, Set.copyOf(nodeHooks), SamplingPolicy.Positions.parse(o.positions()), 4, o.seed());
            try (InferenceNode node = new InferenceNode(m, modelId, policy, nodeHooks, samplePublisher(bootstrap), new ActivationEncoder(),
                    "demo-node", false);
                 KafkaVersionPublisher<?> versions = KafkaVersionPublisher.create(Map.of("bootstrap.servers", bootstrap,
                         "client.id", "latentwatch-demo-trainer"), serdes, topics)) {
                PromptMix.Domain domain = PromptMix.domainFor(modelId);
                DemoTrainer trainer = new DemoTrainer(o, node, modelId, new ArtifactStore(work.resolve("artifacts")), versions, domain,
                        hz == null ? 1 : 2);
                initialTraining(trainer, node, h, hz, circuitsJson, circuitLayer);
                DemoLens.Loaded lens = lensHooks == null ? null : lenses.load(m, modelId, node, trainer.activationModel(), domain);

                // 2. The monitor: the deployed MonitorService, configured as `latentwatch monitor` would be (the model and
                // tuned lens from files, explanations read from the SAE reconstruction of each alert's latents).
                MonitorService.Settings ms = monitorSettings(bootstrap, work, loc, modelId, lens);
                MonitorConfig mc = ms.monitor();
                try (MonitorService service = MonitorService.create(ms, health -> out.printf("%s MONITOR Kafka Streams is %s (%s)%n",
                        LocalTime.now().format(CLOCK), health.state(), health.reason()))) {
                    MonitorApp monitor = service.start().app();
                    if (!monitor.awaitRunning(Duration.ofSeconds(60))) {
                        throw new IllegalStateException("the monitor did not reach RUNNING within 60 s (state " + monitor.state() + ")");
                    }
                    String metricsUrl = "http://127.0.0.1:" + monitor.metricsPort() + "/metrics";
                    if (lens != null) {
                        lensSetup = lenses.warmup(node, domain, mc.integer(MonitorConfig.LENS_WARMUP), PARTITIONS, lensHooks, lens.source());
                    }
                    try (NodeHttpServer server = new NodeHttpServer(node, "127.0.0.1", 0, 4)) {
                        out.printf("  monitor RUNNING (exactly_once_v2), metrics on %s; node on %s/v1/completions%n", metricsUrl, server.baseUrl());
                        out.printf("  incident page on http://127.0.0.1:%d/incidents%n", monitor.httpPort());
                        out.printf("  sending ~%.1f requests/s for %ss (%.0f%% injected anomalies and circuit triggers), positions %s%n%n",
                                o.rate(), o.duration().toMillis() / 1000.0, 100 * o.injectShare(), o.positions());
                        return traffic(kafka, node, monitor, server, metricsUrl, trainer, h, t0);
                    }
                }
            }
        } finally {
            deleteTree(work);
        }
    }

    /** The node's sample publisher: samples keyed by model and request, so one model's traffic spreads over the partitions. */
    private HiddenStatePublisher samplePublisher(String bootstrap) {
        Map<String, Object> producerCfg = KafkaConfig.withEnvironment(HiddenStatePublisher.producerDefaults(bootstrap));
        producerCfg.put("bootstrap.servers", bootstrap);
        return HiddenStatePublisher.create(producerCfg, TypedTopics.of(topics, serdes).hiddenStates(), 4096, SampleKey.MODEL_REQUEST);
    }

    /**
     * The monitor's configuration: what a deployment would put in its config file. The model is the node's own file; a
     * tuned lens trained in the demo is saved under {@code work} so that the monitor loads it like a committed one.
     */
    private MonitorService.Settings monitorSettings(String bootstrap, Path work, ModelLocator.Located loc, String modelId,
                                                    DemoLens.Loaded lens) throws IOException {
        Map<String, String> flags = new TreeMap<>(Map.of(
                "bootstrap.servers", bootstrap,
                StreamsConfig.STATE_DIR_CONFIG, work.resolve("streams").toString(),
                MonitorConfig.REGISTRY_URL, serdes.registryUrl(),
                MonitorConfig.TOPICS_PARTITIONS, Integer.toString(PARTITIONS),
                MonitorConfig.EXPLANATIONS_PARTITIONS, Integer.toString(PARTITIONS),
                MonitorConfig.DRIFT_WINDOW, "200",
                MonitorConfig.BATCH_MAX_MS, "20",
                MonitorConfig.HTTP_PORT, "0", // the incident page (any free port)
                MonitorConfig.METRICS_PORT, Integer.toString(o.metricsPort())));
        flags.put(MonitorConfig.TOPIC_PREFIX, topics.prefix()); // the node's and trainer's topics, whatever the environment says
        flags.put(MonitorConfig.MODEL_PREFIX + modelId, loc.model().toAbsolutePath().toString());
        Path tokenizer = o.tokenizer() != null ? o.tokenizer() : loc.tokenizer();
        if (tokenizer != null) flags.put(MonitorConfig.TOKENIZER_PREFIX + modelId, tokenizer.toAbsolutePath().toString());
        if (lens != null) {
            Path lensDir = work.resolve("tuned-lens");
            lens.lens().save(lensDir);
            flags.put(MonitorConfig.TUNED_LENS_DIR_PREFIX + modelId, lensDir.toString());
            flags.put(MonitorConfig.LENS_TRAJECTORY, "true");
        }
        return MonitorService.settings(Map.of(), System.getenv(), flags);
    }

    /** 1. The trainer's first run: an SAE with its baseline and labels, and the circuit signature, published before traffic. */
    private void initialTraining(DemoTrainer trainer, InferenceNode node, String h, String hz, Path circuitsJson, int circuitLayer) throws Exception {
        long tt = System.nanoTime();
        SaeRefit.Result first = trainer.refitSae(h, o.seed());
        if (!first.published()) throw new IllegalStateException("the initial SAE did not pass the quality gates: " + first.reasons());
        out.printf("  trained SAE %s for %s in %.1f s: FVU %.3f, L0 %.1f, dead %.0f%% -> SaeVersion published%n", first.version(), h,
                (System.nanoTime() - tt) / 1e9, first.metrics().get("fvu"), first.metrics().get("l0"), 100 * first.metrics().get("dead_fraction"));
        if (hz == null) return;
        try {
            CircuitRefit.Outcome c = trainer.refitCircuit(circuitsJson, circuitLayer);
            if (!c.result().published()) {
                out.println("  circuit discovery rejected by its gates: " + c.result().reasons());
                return;
            }
            node.withCircuitHooks(Set.of(hz));
            initialVersions = 2;
            circuitWatched = true;
            circuitMetrics = c.result().metrics();
            out.printf(Locale.ROOT, "  circuit '%s' discovered in %.1f s: heads %s, match at >= %d -> SaeVersion %s for %s published%n",
                    o.circuitTask(), c.seconds(), c.signature().getHeads().stream().map(x -> "L" + x.getLayer() + "H" + x.getHead()).toList(),
                    c.signature().getMinMatchedHeads(), c.result().version(), c.hook());
        } catch (Exception e) {
            // hook_z samples still flow (raw); the monitor counts them as without SAE.
            out.println("  circuit discovery skipped: " + e.getMessage());
        }
    }

    /** 3. Traffic with the console, the broken node, the mid-run refit and a status line; then the summary. */
    private int traffic(EmbeddedKafka kafka, InferenceNode node, MonitorApp monitor, NodeHttpServer server, String metricsUrl,
                        DemoTrainer trainer, String h, long t0) throws Exception {
        Map<String, TrafficGenerator.RequestRecord> truth = new ConcurrentHashMap<>();
        DemoConsole console = new DemoConsole(kafka.bootstrapServers(), topics, serdes.deserializer(Alert.class),
                serdes.deserializer(Explanation.class), truth, out, o.quiet());
        Thread consoleThread = new Thread(console, "latentwatch-demo-console");
        consoleThread.start();
        AtomicBoolean stop = new AtomicBoolean();
        MalformedTraffic malformed = new MalformedTraffic(kafka.bootstrapServers(), topics, serdes, stop, o.malformedRate(), o.seed());
        Thread malformedThread = new Thread(malformed, "latentwatch-demo-malformed");
        if (o.malformedRate() > 0) malformedThread.start();
        AtomicReference<String> refitOutcome = new AtomicReference<>(o.noRefit() ? "skipped (--no-refit)" : NOT_RUN);
        // The mid-run refit is scheduled by the trainer's RefitScheduler, a third of the way into the traffic (its period,
        // the whole duration, puts any second run after the traffic).
        RefitScheduler refits = o.noRefit() ? null : RefitScheduler.forFreshCount(o.duration(), 0, () -> 0,
                () -> midRunRefit(trainer, h, refitOutcome)).start(o.duration().dividedBy(3));
        Thread status = daemon("latentwatch-demo-status", () -> statusLines(node, monitor, console, stop));
        status.start();

        TrafficGenerator.Report traffic;
        try {
            var opts = new TrafficGenerator.Options(URI.create(server.baseUrl()), TrafficGenerator.Scenario.MIXED, o.rate(), o.duration(),
                    (int) Math.min(100_000, Math.ceil(o.rate() * o.duration().toSeconds() * 2) + 10), o.injectShare(), o.maxTokens(), o.seed(), 2);
            traffic = new TrafficGenerator(opts).run(r -> truth.put(r.requestId(), r));
        } finally {
            stop.set(true);
        }
        malformedThread.join(5000);
        if (refits != null) awaitRefit(refits, refitOutcome);
        DemoSummary summaries = new DemoSummary(o, out, initialVersions, circuitWatched, circuitMetrics, lensSetup);
        Map<String, Object> summary;
        try {
            awaitCatchUp(node, monitor, console, malformed);
            MetricsScrape scrape = MetricsScrape.fetch(metricsUrl);
            summary = summaries.build(new DemoSummary.Observed(traffic, node, console, monitor, scrape, malformed, refitOutcome.get(),
                    (System.nanoTime() - t0) / 1e9));
        } finally {
            console.stop.set(true);
            consoleThread.join(10_000);
            status.interrupt();
        }
        summaries.print(summary);
        if (o.summaryJson() != null) {
            Path parent = o.summaryJson().toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(o.summaryJson().toFile(), summary);
            out.println("summary written to " + o.summaryJson());
        }
        return 0;
    }

    /** The refit a third of the way into the traffic: a new SaeVersion the monitor swaps in (hot swap) when it passes the gates. */
    private SaeRefit.Result midRunRefit(DemoTrainer trainer, String h, AtomicReference<String> outcome) throws Exception {
        try {
            long tt = System.nanoTime();
            SaeRefit.Result r = trainer.refitSae(h, o.seed() + 1);
            String what = r.published()
                    ? String.format(Locale.ROOT, "SaeVersion %s published after %.1f s (FVU %.3f): hot swap", r.version(), (System.nanoTime() - tt) / 1e9, r.metrics().get("fvu"))
                    : "refit rejected by the quality gates: " + r.reasons();
            outcome.set(what);
            out.printf("%s REFIT %s%n", LocalTime.now().format(CLOCK), what);
            return r;
        } catch (Exception e) {
            outcome.set("refit failed: " + e);
            out.printf("%s REFIT failed: %s%n", LocalTime.now().format(CLOCK), e);
            throw e;
        }
    }

    /** The refit the scheduler started is let finish (at most 120 s more), a later one is not waited for; then the scheduler stops. */
    private static void awaitRefit(RefitScheduler refits, AtomicReference<String> outcome) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (refits.runs() > 0 && outcome.get().equals(NOT_RUN) && System.nanoTime() < deadline) Thread.sleep(100);
        refits.close();
    }

    private void statusLines(InferenceNode node, MonitorApp monitor, DemoConsole console, AtomicBoolean stop) {
        while (!stop.get()) {
            try {
                Thread.sleep(5000);
            } catch (InterruptedException e) {
                return;
            }
            if (o.quiet() || stop.get()) continue;
            var st = node.stats();
            var mm = monitor.metrics();
            out.printf(Locale.ROOT, "%s STATUS requests %d, samples published %d, processed %d, projected %d, dlq %d, alerts %d %s, explanations %d%n",
                    LocalTime.now().format(CLOCK), st.requests(), st.published(), mm.processedTotal(), mm.projectedTotal(),
                    mm.deadLetteredTotal(), console.alerts.get(), new TreeMap<>(console.alertsByDetector), console.explanations.get());
        }
    }

    /** Lets the node's sender finish, the monitor catch up with everything sent, the console with every alert. */
    private static void awaitCatchUp(InferenceNode node, MonitorApp monitor, DemoConsole console, MalformedTraffic malformed)
            throws InterruptedException {
        node.publisherFlush(Duration.ofSeconds(30));
        long expected = node.stats().published() + malformed.sent.get();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (monitor.metrics().processedTotal() + monitor.metrics().deadLetteredTotal() < expected && System.nanoTime() < deadline) Thread.sleep(100);
        // Explanations are asynchronous: give the worker a moment for the last alerts.
        long quiet = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while ((console.alerts.get() < monitor.metrics().alertsTotal() || console.deadLetters.get() < monitor.metrics().deadLetteredTotal()
                || System.nanoTime() < quiet) && System.nanoTime() < deadline) Thread.sleep(100);
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Deletes the demo's temp directory (artifacts, state); best effort. */
    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temp directory left behind is harmless
        }
    }
}
