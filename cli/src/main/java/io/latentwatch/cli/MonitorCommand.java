package io.latentwatch.cli;

import io.latentwatch.common.KafkaConfig;
import io.latentwatch.node.InferenceNode;
import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.MonitorConfig;
import io.latentwatch.monitor.MonitorService;
import io.latentwatch.monitor.health.StreamsHealth;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs the whole monitor, configured by a properties file, the environment and these flags, until stopped. */
@Command(name = "monitor", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 130,
        description = {"Runs the latentwatch monitor (a Kafka Streams application, exactly-once) until SIGTERM or Ctrl-C: "
                + "validates hidden states, dead-letters malformed ones, projects them through the SAE versions announced on the "
                + "compacted sae-versions topic (files from the artifact store), runs every detector (recon error, rare latent, "
                + "drift, watchlist, circuit, activation norm, and the lens trajectory with --lens-trajectory), writes hash-chained "
                + "explanations (read with the --model checkpoints: logit lens, tuned lens, token-identity Patchscope; without a "
                + "model from the SAE's latent labels, saying which readings are missing), answers queries across instances and "
                + "serves /metrics, /health/live and /health/ready.",
                "If Kafka Streams dies for good (a dead global or stream thread) the process exits with status 70, so that its "
                        + "supervisor restarts it.",
                "Configuration, lowest precedence first: defaults, --config FILE, environment, flags. In the file, monitor.* keys are "
                        + "latentwatch's (below); every other key is a Kafka Streams property (bootstrap.servers, application.server, "
                        + "state.dir, num.stream.threads, ...), overridable with LATENTWATCH_KAFKA_<PROPERTY> "
                        + "(e.g. LATENTWATCH_KAFKA_NUM_STREAM_THREADS=2).",
                "Example: latentwatch monitor --config monitor.properties --state-dir /var/lib/latentwatch/monitor "
                        + "--model stories260K=../shared/models/stories260K/stories260K.bin "
                        + "--tokenizer stories260K=../shared/models/stories260K/tok512.bin"},
        footerHeading = "%nmonitor.* settings (in the --config file, or as LATENTWATCH_MONITOR_... environment variables):%n",
        footer = "${sys:" + MonitorCommand.SETTINGS_PROPERTY + "}")
public final class MonitorCommand implements Callable<Integer> {
    static final String SETTINGS_PROPERTY = "latentwatch.monitor.settings-help";

    static {
        // The footer of --help lists every monitor.* key from MonitorConfig itself, so help and code cannot drift.
        System.setProperty(SETTINGS_PROPERTY, MonitorConfig.describeSettings());
    }

    /** Exit status when Kafka Streams died (EX_SOFTWARE). */
    public static final int EXIT_STREAMS_DEAD = 70;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with monitor.* settings and Kafka Streams properties.")
    Path config;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (bootstrap.servers; also $LATENTWATCH_BOOTSTRAP_SERVERS; "
            + "default localhost:9092).")
    String bootstrap;

    @Option(names = "--registry", description = "Schema registry: an Apicurio Registry URL, or 'embedded' (in-process; only useful when "
            + "producers run in this JVM). Same as monitor.registry.url; also $LATENTWATCH_REGISTRY_URL; default http://localhost:8080.")
    String registry;

    @Option(names = "--state-dir", description = "Kafka Streams state directory (state.dir; also $" + MonitorService.STATE_DIR_ENV
            + "; default ~/.latentwatch/monitor-state). Keep it on a persistent volume: restores then read only the changelog's tail.")
    Path stateDir;

    @Option(names = "--artifacts-dir", description = "The trainer's artifact store as mounted here (monitor.artifacts.dir): SAE files are "
            + "read from DIR/<model>/<hook>/<version>, else from the URI each version was announced with.")
    Path artifactsDir;

    @Option(names = "--metrics-port", description = "Port of /metrics and /health/* (monitor.metrics.port; 0 = any free port; default 9400).")
    Integer metricsPort;

    @Option(names = "--http-port", description = "Port of the query endpoints /latents, /alerts, /sae-versions (monitor.http.port; "
            + "-1 = off, the default).")
    Integer httpPort;

    @Option(names = "--host", description = "Address the query endpoints and /metrics bind to (monitor.http.host and "
            + "monitor.metrics.host; default 127.0.0.1, this machine only; 0.0.0.0 for every interface, e.g. in a container).")
    String host;

    @Option(names = "--http-token-file", paramLabel = "FILE", description = "Bearer token the query endpoints and /metrics require "
            + "(monitor.http.token.file; or the token in $" + MonitorConfig.HTTP_TOKEN_ENV + "); /health/* stay open.")
    Path httpTokenFile;

    @Option(names = "--audit-key-file", paramLabel = "FILE", description = "HMAC key (32+ bytes) signing the compliance log's "
            + "checkpoints (monitor.audit.key.file; or the key in $LATENTWATCH_AUDIT_KEY); give `audit verify` the same.")
    Path auditKeyFile;

    @Option(names = "--application-server", paramLabel = "HOST:PORT", description = "Address other instances reach this one's query "
            + "endpoints at (application.server; default monitor.http.host:port).")
    String applicationServer;

    @Option(names = "--watchlist", paramLabel = "FILE", description = "JSON watchlist of latents (monitor.watchlist.file).")
    Path watchlist;

    @Option(names = "--warmup", description = "Observations per (model, hook) before the activation-norm detector scores "
            + "(monitor.norm.warmup.samples; default 50).")
    Long warmup;

    @Option(names = "--threshold", description = "|z| above which the activation-norm detector alerts (monitor.norm.threshold; default 4).")
    Double threshold;

    @Option(names = "--critical-threshold", description = "|z| above which an alert is CRITICAL (monitor.norm.critical; default 8).")
    Double critical;

    @Option(names = "--model", paramLabel = "[ID=]PATH",
            description = "A checkpoint the nodes serve (monitor.model.ID; repeatable): explanations read alerts with it, and the "
                    + "lens trajectory runs on it. ID is the model id the nodes publish (default: the file or directory name, as "
                    + "`latentwatch node` names it).")
    List<String> models = new ArrayList<>();

    @Option(names = "--tokenizer", paramLabel = "ID=FILE",
            description = "Tokenizer of a llama2.c checkpoint ID when it is not beside it under the default name (monitor.tokenizer.ID).")
    Map<String, Path> tokenizers = new LinkedHashMap<>();

    @Option(names = "--tuned-lens", paramLabel = "ID=DIR",
            description = "Tuned lens of model ID (a directory from `latentwatch lens train`); repeatable. Same as "
                    + "monitor.tuned-lens.dir.ID. A model without one is read with the logit lens.")
    Map<String, Path> tunedLenses = new LinkedHashMap<>();

    @Option(names = "--lens-trajectory", description = "Run the lens-trajectory detector on the --model checkpoints (monitor.lens.trajectory).")
    boolean lensTrajectory;

    @Option(names = {"-v", "--verbose"}, description = "Log Kafka's own INFO messages.")
    boolean verbose;

    Map<String, String> flags() {
        Map<String, String> f = new LinkedHashMap<>();
        if (bootstrap != null) f.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (stateDir != null) f.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        if (applicationServer != null) f.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        if (registry != null) f.put(MonitorConfig.REGISTRY_URL, registry);
        if (artifactsDir != null) f.put(MonitorConfig.ARTIFACTS_DIR, artifactsDir.toString());
        if (metricsPort != null) f.put(MonitorConfig.METRICS_PORT, metricsPort.toString());
        if (httpPort != null) f.put(MonitorConfig.HTTP_PORT, httpPort.toString());
        if (host != null) {
            f.put(MonitorConfig.HTTP_HOST, host);
            f.put(MonitorConfig.METRICS_HOST, host);
        }
        if (httpTokenFile != null) f.put(MonitorConfig.HTTP_TOKEN_FILE, httpTokenFile.toString());
        if (auditKeyFile != null) f.put(MonitorConfig.AUDIT_KEY_FILE, auditKeyFile.toString());
        if (watchlist != null) f.put(MonitorConfig.WATCHLIST_FILE, watchlist.toString());
        if (warmup != null) f.put(MonitorConfig.NORM_WARMUP, warmup.toString());
        if (threshold != null) f.put(MonitorConfig.NORM_THRESHOLD, threshold.toString());
        if (critical != null) f.put(MonitorConfig.NORM_CRITICAL, critical.toString());
        if (lensTrajectory) f.put(MonitorConfig.LENS_TRAJECTORY, "true");
        for (String spec : models) {
            int eq = spec.indexOf('=');
            Path p = Path.of(eq > 0 ? spec.substring(eq + 1) : spec);
            f.put(MonitorConfig.MODEL_PREFIX + (eq > 0 ? spec.substring(0, eq) : InferenceNode.modelIdOf(p)), p.toString());
        }
        tunedLenses.forEach((id, d) -> f.put(MonitorConfig.TUNED_LENS_DIR_PREFIX + id, d.toString()));
        tokenizers.forEach((id, t) -> f.put(MonitorConfig.TOKENIZER_PREFIX + id, t.toString()));
        return f;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> file = config == null ? Map.of() : MonitorService.readProperties(config);
        MonitorService.Settings settings = MonitorService.settings(file, System.getenv(), flags());
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        int[] exit = {0};
        // SIGTERM / Ctrl-C: the hook wakes the main thread and waits for it to close Kafka Streams cleanly
        // (at most monitor.shutdown.grace.ms).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try { closed.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }, "latentwatch-shutdown"));
        try (MonitorService service = MonitorService.create(settings, (StreamsHealth h) -> {
            System.err.println("latentwatch monitor: Kafka Streams is " + h.state() + " (" + h.reason() + "); exiting with status "
                    + EXIT_STREAMS_DEAD + " so that the supervisor restarts the monitor");
            exit[0] = EXIT_STREAMS_DEAD;
            stop.countDown();
        })) {
            MonitorApp app = service.start().app();
            var t = settings.topics();
            System.out.printf("latentwatch monitor: %s -> %s, %s, %s; SAE versions from %s; models %s; metrics and health on "
                            + "port %d%s; state in %s; audit checkpoints %s; Kafka %s; SIGTERM or Ctrl-C to stop%n",
                    t.hiddenStates(), t.alerts(), t.explanations(), t.dlq(), t.saeVersions(),
                    service.models().isEmpty() ? "none (explanations from SAE latent labels only)" : service.models(),
                    app.metricsPort(), app.httpPort() < 0 ? "" : "; queries on port " + app.httpPort(),
                    settings.streams().get(StreamsConfig.STATE_DIR_CONFIG),
                    settings.monitor().auditKey() == null ? "off (no audit key)" : "signed with key " + settings.monitor().auditKey().id(),
                    KafkaConfig.masked(KafkaConfig.connection(settings.streams())));
            stop.await();
        } finally {
            closed.countDown();
        }
        if (exit[0] != 0) {
            // Runtime.exit from here would wait on the shutdown hook, which waits on nothing now: safe.
            System.exit(exit[0]);
        }
        return 0;
    }
}
