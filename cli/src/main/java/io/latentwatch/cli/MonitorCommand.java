package io.latentwatch.cli;

import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.publisher.KafkaConfig;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import io.latentwatch.node.InferenceNode;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.monitor.MonitorConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs the monitor against an existing Kafka cluster until interrupted. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = {"Runs the latentwatch monitor (a Kafka Streams application, exactly-once) against a Kafka cluster "
                + "until Ctrl-C: validates hidden states from the hidden-states topic, dead-letters malformed ones, "
                + "raises activation-norm alerts and serves Prometheus metrics on /metrics.",
                "With --lens-trajectory and one --model per served model, also runs the lens-trajectory detector: "
                        + "KL(final logit lens || tuned lens of an earlier residual layer) on samples carrying both residuals "
                        + "(e.g. a node sampling blocks.0.hook_resid_post,blocks.1.hook_resid_post on zoo-small), against a warm-up "
                        + "baseline kept in a changelogged state store. Thresholds: LATENTWATCH_MONITOR_LENS_WARMUP_SAMPLES, "
                        + "LATENTWATCH_MONITOR_LENS_QUANTILE, LATENTWATCH_MONITOR_LENS_MARGIN.",
                "Any Kafka Streams property can be set with LATENTWATCH_KAFKA_<PROPERTY> (e.g. "
                        + "LATENTWATCH_KAFKA_NUM_STREAM_THREADS=2).",
                "Example: latentwatch monitor --lens-trajectory --model models/zoo-small "
                        + "--tuned-lens zoo-small=docs/reports/lens/zoo-small/tuned"})
public final class MonitorCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE}).",
            defaultValue = "localhost:9092")
    String bootstrap;

    @Option(names = "--registry", description = "Schema registry: an Apicurio Registry URL, or 'embedded' (in-process; only "
            + "useful when producers run in this JVM). Default: $LATENTWATCH_REGISTRY_URL or ${DEFAULT-VALUE}.",
            defaultValue = "http://localhost:8080")
    String registry;

    @Option(names = "--metrics-port", description = "Port of the Prometheus /metrics endpoint (0 = any free port). Default: ${DEFAULT-VALUE}.",
            defaultValue = "9400")
    int metricsPort;

    @Option(names = "--state-dir", description = "Kafka Streams state directory (default: a directory under the system temp dir).")
    Path stateDir;

    @Option(names = "--warmup", description = "Observations per (model, hook) before the activation-norm detector scores. Default: ${DEFAULT-VALUE}.",
            defaultValue = "50")
    long warmup;

    @Option(names = "--threshold", description = "|z| above which the activation-norm detector alerts (WARNING). Default: ${DEFAULT-VALUE}.",
            defaultValue = "4.0")
    double threshold;

    @Option(names = "--critical-threshold", description = "|z| above which an alert is CRITICAL. Default: ${DEFAULT-VALUE}.",
            defaultValue = "8.0")
    double critical;

    @Option(names = {"-v", "--verbose"}, description = "Log Kafka's own INFO messages.")
    boolean verbose;

    @Option(names = "--lens-trajectory", description = "Run the lens-trajectory detector on the models given with --model.")
    boolean lensTrajectory;

    @Option(names = "--model", paramLabel = "[ID=]PATH",
            description = "A checkpoint the nodes serve, for --lens-trajectory (repeatable). ID is the model id the nodes publish "
                    + "(default: the file or directory name, as `latentwatch node` names it).")
    List<String> models = new ArrayList<>();

    @Option(names = "--tuned-lens", paramLabel = "ID=DIR",
            description = "Tuned lens of model ID (a directory from `latentwatch lens train`: config.json + tuned_lens.safetensors); "
                    + "repeatable. Same as monitor.tuned-lens.dir.ID. A model without one is read with the logit lens.")
    Map<String, Path> tunedLenses = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        Path dir = stateDir != null ? stateDir : Files.createTempDirectory("latentwatch-monitor-");
        var config = KafkaConfig.withEnvironment(MonitorApp.streamsDefaults(KafkaConfig.bootstrapServers(bootstrap), dir));
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(KafkaConfig.registry(registry));
        Topics topics = Topics.fromEnvironment();
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // On Ctrl-C the hook wakes the main thread and waits for it to close Kafka Streams cleanly.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try { closed.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }));
        Map<String, HookedTransformer> loaded = new LinkedHashMap<>();
        try {
            MonitorApp.Builder b = MonitorApp.builder(config, topics, serdes)
                    .normDetector(new ActivationNormDetector(warmup, threshold, critical)).metricsPort(metricsPort);
            String lens = "";
            if (lensTrajectory) {
                if (models.isEmpty()) throw new IllegalArgumentException("--lens-trajectory needs at least one --model");
                Map<String, String> props = new LinkedHashMap<>();
                tunedLenses.forEach((id, d) -> props.put(MonitorConfig.TUNED_LENS_DIR_PREFIX + id, d.toString()));
                MonitorConfig mc = MonitorConfig.of(props);
                for (String spec : models) {
                    int eq = spec.indexOf('=');
                    Path p = Path.of(eq > 0 ? spec.substring(eq + 1) : spec);
                    String id = eq > 0 ? spec.substring(0, eq) : InferenceNode.modelIdOf(p);
                    loaded.put(id, LensCliSupport.load(p, null));
                }
                b.lensTrajectory(loaded, mc);
                Map<String, Path> dirs = mc.tunedLensDirs();
                lens = "; lens trajectory on " + loaded.keySet().stream().map(id -> id + (dirs.containsKey(id) ? " (tuned lens)" : " (logit lens)")).toList()
                        + String.format(java.util.Locale.ROOT, ", warm-up %d, q %s x %s", mc.integer(MonitorConfig.LENS_WARMUP),
                        mc.str(MonitorConfig.LENS_QUANTILE), mc.str(MonitorConfig.LENS_MARGIN));
            } else if (!models.isEmpty() || !tunedLenses.isEmpty()) {
                throw new IllegalArgumentException("--model and --tuned-lens are for --lens-trajectory");
            }
            try (MonitorApp app = b.build()) {
                app.start();
                System.out.printf("latentwatch monitor: %s -> %s, %s; metrics on http://127.0.0.1:%d/metrics%s; Ctrl-C to stop%n",
                        topics.hiddenStates(), topics.alerts(), topics.dlq(), app.metricsPort(), lens);
                stop.await();
            }
        } finally {
            closed.countDown();
            loaded.values().forEach(HookedTransformer::close);
        }
        return 0;
    }
}
