package io.latentwatch.monitor;

import io.latentwatch.common.KafkaConfig;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.LensTrajectoryScorer;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.monitor.explain.ModelRepresentationReader;
import io.latentwatch.monitor.explain.RepresentationReader;
import io.latentwatch.monitor.health.StreamsHealth;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The whole monitor from configuration alone: what {@code latentwatch monitor} runs. One properties
 * map (a file, then the flags given) holds two kinds of keys: {@code monitor.*} are latentwatch's
 * ({@link MonitorConfig#describeSettings()}), every other key is a Kafka Streams property
 * ({@code bootstrap.servers}, {@code application.server}, {@code num.stream.threads}, ...).
 *
 * <p>Precedence, lowest first: built-in defaults, the file, the environment
 * ({@code LATENTWATCH_MONITOR_*} for monitor keys; {@code LATENTWATCH_KAFKA_*},
 * {@code LATENTWATCH_BOOTSTRAP_SERVERS} and {@value #STATE_DIR_ENV} for Kafka Streams;
 * {@code LATENTWATCH_REGISTRY_URL}, {@code LATENTWATCH_TOPIC_PREFIX}), then explicit flags.
 *
 * <p>From that it starts: SAE versions from the compacted sae-versions topic with their files from
 * the artifact store ({@code monitor.artifacts.dir}); every detector, with the watchlist of
 * {@code monitor.watchlist.file}; explanations read with the models of {@code monitor.model.<id>}
 * (logit lens, tuned lens, token-identity Patchscope), or without a model from the SAE's latent
 * labels alone; the query endpoints ({@code monitor.http.port}); /metrics and /health/*. Topics missing at start are
 * created first ({@code monitor.topics.create}, with {@code monitor.topics.partitions}, {@code .replication.factor} and
 * {@code monitor.explanations.retention}, or {@code LATENTWATCH_TOPIC_PARTITIONS}, {@code _REPLICATION_FACTOR} and
 * {@code LATENTWATCH_EXPLANATIONS_RETENTION}), and the repartition topics get fixed counts ({@link InternalTopics}).
 */
public final class MonitorService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorService.class);
    /** Environment variable of the Kafka Streams state directory (wins over {@code state.dir} in the file). */
    public static final String STATE_DIR_ENV = "LATENTWATCH_STATE_DIR";
    /** The state directory when none is configured: persistent, never a fresh temporary one. */
    public static final Path DEFAULT_STATE_DIR = Path.of(System.getProperty("user.home"), ".latentwatch", "monitor-state");

    /** The configuration split into latentwatch's settings and the Kafka Streams properties. */
    public record Settings(MonitorConfig monitor, Map<String, Object> streams, String registryUrl, Topics topics) {}

    private final Settings settings;
    private final Map<String, HookedTransformer> models;
    private final MonitorApp app;

    /** Reads a properties file (as Java reads {@code .properties}: UTF-8 here, {@code key=value}, # comments). */
    public static Map<String, String> readProperties(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("config file not found: " + file);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) { p.load(r); }
        Map<String, String> m = new TreeMap<>();
        for (String k : p.stringPropertyNames()) m.put(k.trim(), p.getProperty(k).trim());
        return m;
    }

    /**
     * @param file  properties from the config file (may be empty)
     * @param env   the process environment
     * @param flags explicit settings (command-line flags), any key of either kind; they win over everything
     */
    public static Settings settings(Map<String, String> file, Map<String, String> env, Map<String, String> flags) {
        Map<String, String> monitorProps = new TreeMap<>(), streamsProps = new LinkedHashMap<>();
        file.forEach((k, v) -> (k.startsWith("monitor.") ? monitorProps : streamsProps).put(k, v));
        // Short forms of the environment that predate the monitor.* keys.
        Map<String, String> envOver = new TreeMap<>();
        putIfSet(envOver, MonitorConfig.REGISTRY_URL, env.get(KafkaConfig.REGISTRY_ENV));
        putIfSet(envOver, MonitorConfig.TOPIC_PREFIX, env.get(Topics.PREFIX_ENV));
        putIfSet(envOver, MonitorConfig.TOPICS_PARTITIONS, env.get(TopicSettings.PARTITIONS_ENV));
        putIfSet(envOver, MonitorConfig.TOPICS_REPLICATION, env.get(TopicSettings.REPLICATION_ENV));
        putIfSet(envOver, MonitorConfig.EXPLANATIONS_RETENTION, env.get(TopicSettings.EXPLANATIONS_RETENTION_ENV));
        Map<String, String> monitorEnv = new TreeMap<>(env);
        envOver.forEach((k, v) -> monitorEnv.putIfAbsent(MonitorConfig.envName(k), v));
        Map<String, String> monitorFlags = new TreeMap<>(), streamsFlags = new LinkedHashMap<>();
        flags.forEach((k, v) -> (k.startsWith("monitor.") ? monitorFlags : streamsFlags).put(k, v));

        MonitorConfig mc = MonitorConfig.of(monitorProps, monitorEnv);
        for (Map.Entry<String, String> f : monitorFlags.entrySet()) mc = mc.with(f.getKey(), f.getValue());

        Map<String, Object> streams = new LinkedHashMap<>(MonitorApp.streamsDefaults("localhost:9092", DEFAULT_STATE_DIR));
        streams.putAll(streamsProps);
        streams = KafkaConfig.withOverrides(streams, env);
        String stateEnv = env.get(STATE_DIR_ENV);
        if (stateEnv != null && !stateEnv.isBlank()) streams.put(StreamsConfig.STATE_DIR_CONFIG, stateEnv.trim());
        streams.putAll(streamsFlags);
        String prefix = mc.str(MonitorConfig.TOPIC_PREFIX);
        return new Settings(mc, streams, mc.str(MonitorConfig.REGISTRY_URL), Topics.withPrefix(prefix));
    }

    private static void putIfSet(Map<String, String> m, String k, String v) {
        if (v != null && !v.isBlank()) m.put(k, v.trim());
    }

    /**
     * Loads the configured models, tuned lenses and watchlist and builds the monitor (not started).
     *
     * @param onFatal what to do when Kafka Streams dies for good (see {@link MonitorApp.Builder#onFatal})
     * @throws IOException when a model, tuned lens or watchlist file cannot be read
     */
    public static MonitorService create(Settings s, Consumer<StreamsHealth> onFatal) throws IOException {
        return new MonitorService(s, onFatal);
    }

    private MonitorService(Settings s, Consumer<StreamsHealth> onFatal) throws IOException {
        this.settings = s;
        MonitorConfig c = s.monitor();
        this.models = loadModels(c);
        try {
            String watchFile = c.str(MonitorConfig.WATCHLIST_FILE);
            Watchlist watchlist = watchFile.isEmpty() ? Watchlist.empty() : Watchlist.read(Path.of(watchFile));
            String artifacts = c.str(MonitorConfig.ARTIFACTS_DIR);
            Function<SaeRegistry, RepresentationReader> reader = null;
            if (!models.isEmpty()) {
                var lenses = LensTrajectoryScorer.loadLenses(models, c.tunedLensDirs());
                int top = c.integer(MonitorConfig.EXPLAIN_TOP_TOKENS), decode = c.integer(MonitorConfig.EXPLAIN_DECODE_TOKENS);
                reader = reg -> new ModelRepresentationReader(models, lenses, reg, top, decode);
            } else if (!c.tunedLensDirs().isEmpty()) {
                throw new IllegalArgumentException(MonitorConfig.TUNED_LENS_DIR_PREFIX + "<id> needs the model: set "
                        + MonitorConfig.MODEL_PREFIX + "<id> (or --model ID=PATH) too");
            }
            if (c.bool(MonitorConfig.TOPICS_CREATE)) {
                // Before the app is built: it reads the partition counts of the topics (InternalTopics).
                List<String> created = s.topics().createMissing(s.streams(), c.topicSettings());
                if (!created.isEmpty()) LOG.info("created topics {} ({})", created, c.topicSettings());
            }
            MonitorApp.Builder b = MonitorApp.builder(s.streams(), s.topics(), LatentwatchSerdes.forRegistry(s.registryUrl()))
                    .normDetector(new ActivationNormDetector(c.lng(MonitorConfig.NORM_WARMUP), c.dbl(MonitorConfig.NORM_THRESHOLD),
                            c.dbl(MonitorConfig.NORM_CRITICAL)))
                    .metricsPort(c.integer(MonitorConfig.METRICS_PORT))
                    .metricsHost(c.str(MonitorConfig.METRICS_HOST))
                    .httpToken(c.httpToken())
                    .sae(c, watchlist, reader)
                    .artifactsDir(artifacts.isEmpty() ? null : Path.of(artifacts))
                    .onFatal(onFatal)
                    .maxRebalance(Duration.ofSeconds(c.lng(MonitorConfig.MAX_REBALANCE_S)));
            if (c.bool(MonitorConfig.LENS_TRAJECTORY)) {
                if (models.isEmpty()) throw new IllegalArgumentException(MonitorConfig.LENS_TRAJECTORY + "=true needs at least one "
                        + MonitorConfig.MODEL_PREFIX + "<id> (or --model)");
                b.lensTrajectory(models, c);
            }
            this.app = b.build();
        } catch (IOException | RuntimeException e) {
            models.values().forEach(HookedTransformer::close);
            throw e;
        }
    }

    private static Map<String, HookedTransformer> loadModels(MonitorConfig c) throws IOException {
        Map<String, HookedTransformer> out = new TreeMap<>();
        if (!c.modelPaths().isEmpty() && System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true"); // DJL must never probe the network (DESIGN.md)
        }
        Map<String, Path> tokenizers = c.tokenizerPaths();
        try {
            for (Map.Entry<String, Path> e : c.modelPaths().entrySet()) {
                if (!Files.exists(e.getValue())) throw new NoSuchFileException("model " + e.getKey() + " not found: " + e.getValue()
                        + " (" + MonitorConfig.MODEL_PREFIX + e.getKey() + ")");
                HookedTransformer m = HookedTransformer.load(e.getValue(), tokenizers.get(e.getKey()));
                out.put(e.getKey(), m);
            }
        } catch (IOException | RuntimeException e) {
            out.values().forEach(HookedTransformer::close);
            throw e;
        }
        return out;
    }

    public MonitorService start() {
        app.start();
        return this;
    }

    public MonitorApp app() { return app; }

    public Settings settings() { return settings; }

    /** Model ids whose weights are loaded (for explanations and the lens trajectory). */
    public Set<String> models() { return models.keySet(); }

    /** Stops within the configured grace period ({@code monitor.shutdown.grace.ms}). */
    @Override
    public void close() {
        try {
            app.close(Duration.ofMillis(settings.monitor().lng(MonitorConfig.SHUTDOWN_GRACE_MS)));
        } finally {
            models.values().forEach(HookedTransformer::close);
        }
    }
}
