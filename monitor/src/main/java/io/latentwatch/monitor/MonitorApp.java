package io.latentwatch.monitor;

import io.latentwatch.common.KafkaConfig;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.LensTrajectoryDetector;
import io.latentwatch.monitor.detect.LensTrajectoryScorer;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.monitor.explain.ExplanationWorker;
import io.latentwatch.monitor.explain.RepresentationReader;
import io.latentwatch.monitor.health.HealthHandler;
import io.latentwatch.monitor.health.KafkaClientMetrics;
import io.latentwatch.monitor.health.RebalanceWatchdog;
import io.latentwatch.monitor.health.StreamsHealth;
import io.latentwatch.monitor.http.MonitorHttp;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.monitor.incident.IncidentTopology;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import io.latentwatch.common.BearerToken;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The monitor as a running application: {@link MonitorTopology} on {@link KafkaStreams} with
 * exactly-once processing (v2: one transaction per task commit spans the consumed offsets, the
 * state-store changelog and the alerts/DLQ records), plus one HTTP port for Prometheus
 * ({@code /metrics}: latentwatch's own, Kafka's client metrics and the JVM's) and the supervisor's
 * probes ({@code /health/live}, {@code /health/ready}). Built one way, with {@link #builder}.
 */
public final class MonitorApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorApp.class);
    public static final String APPLICATION_ID = "latentwatch-monitor";

    private final KafkaStreams streams;
    private final MonitorMetrics metrics;
    private final HTTPServer metricsServer;
    private final SaeRegistry registry;
    private final ExplanationWorker worker;
    private final MonitorHttp http;
    private volatile boolean closing;
    private final RebalanceWatchdog watchdog;

    /** Streams properties latentwatch uses, before environment overrides. */
    public static Map<String, Object> streamsDefaults(String bootstrapServers, Path stateDir) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION_ID);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        return p;
    }

    /**
     * The monitor's builder:
     * <pre>{@code
     * MonitorApp app = MonitorApp.builder(streamsProps, topics, serdes)
     *         .normDetector(new ActivationNormDetector(50, 4, 8)).metricsPort(9400)
     *         .sae(cfg, watchlist, reg -> ModelRepresentationReader.withTunedLenses(models, cfg.tunedLensDirs(), reg, 5, 4))
     *         .artifactsDir(storeRoot)              // where the trainer's artifact store is mounted here
     *         .lensTrajectory(models, cfg)          // tuned lens per model from monitor.tuned-lens.dir.<model>
     *         .onFatal(h -> System.exit(70))        // a dead global or stream thread: let the supervisor restart us
     *         .build().start();
     * }</pre>
     * Without {@link Builder#sae} the monitor is the walking skeleton (validation, dead letters, activation norm),
     * plus the lens trajectory when it is enabled.
     */
    public static Builder builder(Map<String, Object> streamsConfig, Topics topics, LatentwatchSerdes serdes) {
        return new Builder(streamsConfig, topics, serdes);
    }

    public static final class Builder {
        private final Map<String, Object> streamsConfig;
        private final Topics topics;
        private final LatentwatchSerdes serdes;
        private ActivationNormDetector normDetector = new ActivationNormDetector(50, 4.0, 8.0);
        private int metricsPort = -1;
        private String metricsHost = "127.0.0.1";
        private BearerToken httpToken;
        private MonitorConfig saeConfig;
        private Watchlist watchlist;
        private Function<SaeRegistry, RepresentationReader> readerFactory;
        private Path artifactsDir;
        private LensTrajectoryScorer lensScorer;
        private LensTrajectoryDetector lensDetector;
        private Consumer<StreamsHealth> onFatal = h -> { };
        private Duration maxRebalance;

        private Builder(Map<String, Object> streamsConfig, Topics topics, LatentwatchSerdes serdes) {
            this.streamsConfig = Objects.requireNonNull(streamsConfig, "streamsConfig");
            this.topics = Objects.requireNonNull(topics, "topics");
            this.serdes = Objects.requireNonNull(serdes, "serdes");
        }

        /** The activation-norm detector (default: warm-up 50, |z| 4 / 8). */
        public Builder normDetector(ActivationNormDetector d) { this.normDetector = Objects.requireNonNull(d); return this; }

        /** Port of /metrics and /health/*: 0 for any free port, negative (the default) for none. */
        public Builder metricsPort(int port) { this.metricsPort = port; return this; }

        /** Address of /metrics and /health/* (default 127.0.0.1; 0.0.0.0 for every interface). */
        public Builder metricsHost(String host) { this.metricsHost = Objects.requireNonNull(host, "host"); return this; }

        /** Bearer token the query endpoints and /metrics require (null: none); /health/* stay open for probes. */
        public Builder httpToken(BearerToken token) { this.httpToken = token; return this; }

        /**
         * Turns on the SAE half (projection, SAE detectors, circuits, explanations) with {@code config};
         * {@code readerFactory} may be null (explanations without model readings).
         */
        public Builder sae(MonitorConfig config, Watchlist watchlist, Function<SaeRegistry, RepresentationReader> readerFactory) {
            this.saeConfig = Objects.requireNonNull(config, "config");
            this.watchlist = watchlist;
            this.readerFactory = readerFactory;
            return this;
        }

        /** The artifact store as mounted on this host (see {@link SaeRegistry#SaeRegistry(Watchlist, Path)}); null: announced URIs. */
        public Builder artifactsDir(Path dir) { this.artifactsDir = dir; return this; }

        /**
         * Turns on the lens-trajectory detector on {@code models} (model id -> loaded model, the ids the nodes publish),
         * with the tuned lens of each model named by {@code monitor.tuned-lens.dir.<modelId>} in {@code config} (a model
         * without one is read with the logit lens) and the {@code monitor.lens.*} thresholds of {@code config}.
         *
         * @throws IOException when a configured tuned lens cannot be read or does not fit its model
         */
        public Builder lensTrajectory(Map<String, HookedTransformer> models, MonitorConfig config) throws IOException {
            return lensTrajectory(new LensTrajectoryScorer(models, LensTrajectoryScorer.loadLenses(models, config.tunedLensDirs())),
                    LensTrajectoryDetector.of(config));
        }

        /** Turns on the lens-trajectory detector with lenses already loaded (see {@link #lensTrajectory(Map, MonitorConfig)}). */
        public Builder lensTrajectory(LensTrajectoryScorer scorer, LensTrajectoryDetector detector) {
            this.lensScorer = Objects.requireNonNull(scorer, "scorer");
            this.lensDetector = Objects.requireNonNull(detector, "detector");
            return this;
        }

        /**
         * Called once, from a thread of its own, when Kafka Streams reaches a state it never leaves without a
         * restart (a dead global thread, or no stream thread left): a service exits non-zero here so that its
         * supervisor restarts it. Default: nothing (the health endpoints still say not live).
         */
        public Builder onFatal(Consumer<StreamsHealth> onFatal) { this.onFatal = Objects.requireNonNull(onFatal); return this; }

        /** REBALANCING longer than this counts as fatal too ({@link RebalanceWatchdog}); null or zero: no limit. */
        public Builder maxRebalance(Duration limit) {
            this.maxRebalance = limit == null || limit.isZero() ? null : limit;
            return this;
        }

        public MonitorApp build() { return new MonitorApp(this); }
    }

    private MonitorApp(Builder b) {
        this.metrics = new MonitorMetrics();
        MonitorTopology.Sae sae = null;
        MonitorConfig monitorConfig = b.saeConfig;
        MonitorConfig settings = monitorConfig == null ? MonitorConfig.defaults() : monitorConfig;
        // Internal topics with fixed partition counts, decided from the broker before Kafka Streams starts.
        InternalTopics.Plan internal = InternalTopics.resolve(b.streamsConfig, b.topics, settings.integer(MonitorConfig.INTERNAL_PARTITIONS),
                settings.integer(MonitorConfig.EXPLANATIONS_PARTITIONS), monitorConfig != null);
        if (monitorConfig != null) {
            this.registry = new SaeRegistry(b.watchlist == null ? Watchlist.empty() : b.watchlist, b.artifactsDir);
            this.worker = b.readerFactory == null ? null : new ExplanationWorker(b.readerFactory.apply(registry),
                    monitorConfig.integer(MonitorConfig.EXPLAIN_WORKERS), monitorConfig.integer(MonitorConfig.EXPLAIN_QUEUE));
            sae = new MonitorTopology.Sae(registry, monitorConfig, b.serdes, worker, internal.explanationPartitions());
        } else {
            this.registry = null;
            this.worker = null;
        }
        MonitorTopology topology = new MonitorTopology(b.topics, b.serdes.deserializer(HiddenStateSample.class),
                b.serdes.serde(Alert.class), b.normDetector, metrics, sae)
                .withInputLimits(settings.inputLimits()).withRepartitionCounts(internal.repartitions());
        Map<String, Object> cfg = new LinkedHashMap<>(b.streamsConfig);
        HostInfo httpHost = null;
        if (monitorConfig != null && monitorConfig.integer(MonitorConfig.HTTP_PORT) >= 0) {
            int port = monitorConfig.integer(MonitorConfig.HTTP_PORT);
            if (port == 0) port = freePort();
            httpHost = new HostInfo(monitorConfig.str(MonitorConfig.HTTP_HOST), port);
            // Interactive queries: every instance advertises where its HTTP endpoint answers; an explicit
            // application.server (e.g. a pod's DNS name while binding 0.0.0.0) wins over the bind address.
            cfg.putIfAbsent(StreamsConfig.APPLICATION_SERVER_CONFIG, httpHost.host() + ":" + httpHost.port());
        }
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(cfg.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))) {
            LOG.warn("processing.guarantee is {}, not exactly_once_v2: alerts and dead letters may be duplicated",
                    cfg.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        }
        if (b.lensScorer != null) topology.withLensTrajectory(b.lensScorer, b.lensDetector);
        // Incidents: every alert grouped per request or per (model, hook, detector) on the incidents topic.
        topology.withIncidents(new IncidentTopology(b.serdes.serde(Alert.class), TypedTopics.of(b.topics, b.serdes).incidents(),
                settings.incidents(), metrics));
        this.streams = new KafkaStreams(topology.build(), KafkaConfig.toProperties(cfg));
        // Poison records are dead-lettered in the topology; anything else is a bug or an outage:
        // log it and replace the thread so the monitor keeps watching.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        Consumer<StreamsHealth> onFatal = b.onFatal;
        this.watchdog = b.maxRebalance == null ? null : new RebalanceWatchdog(b.maxRebalance, () -> closing, onFatal);
        streams.setStateListener((now, before) -> {
            if (watchdog != null) watchdog.transition(now);
            if (StreamsHealth.fatal(now) && !StreamsHealth.fatal(before) && !closing) {
                StreamsHealth h = health();
                LOG.error("Kafka Streams went from {} to {}: {}", before, now, h.reason());
                // Not on the Streams thread that reports the transition: the callback may close the app.
                Thread t = new Thread(() -> onFatal.accept(h), "latentwatch-fatal");
                t.setDaemon(true);
                t.start();
            }
        });
        metrics.registry().register(new KafkaClientMetrics(streams::metrics));
        JvmMetrics.builder().register(metrics.registry());
        try {
            this.http = httpHost == null ? null : new MonitorHttp(streams, registry, httpHost, b.httpToken);
        } catch (IOException e) {
            streams.close();
            throw new UncheckedIOException("cannot serve the query endpoints on " + httpHost, e);
        }
        try {
            HTTPServer.Builder hb = HTTPServer.builder().hostname(b.metricsHost).port(b.metricsPort).registry(metrics.registry())
                    .defaultHandler(new HealthHandler(this::health));
            // Health stays open: orchestrator probes carry no secret, and it says only whether the monitor is up.
            if (b.httpToken != null) hb.authenticator(b.httpToken.authenticator(List.of("/health")));
            this.metricsServer = b.metricsPort < 0 ? null : hb.buildAndStart();
        } catch (IOException e) {
            streams.close();
            if (http != null) http.close();
            throw new UncheckedIOException("cannot serve /metrics on port " + b.metricsPort, e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public MonitorApp start() {
        streams.start();
        return this;
    }

    /** Waits until the application is RUNNING; false on timeout. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(50);
        }
        return true;
    }

    /** Liveness and readiness now (what /health/live and /health/ready answer). */
    public StreamsHealth health() {
        KafkaStreams.State s = streams.state();
        int alive = 0;
        if (s == KafkaStreams.State.RUNNING || s == KafkaStreams.State.REBALANCING) {
            try {
                for (ThreadMetadata t : streams.metadataForLocalThreads()) if (!"DEAD".equals(t.threadState())) alive++;
            } catch (IllegalStateException e) {
                s = streams.state(); // it left RUNNING/REBALANCING between the two reads
            }
        }
        return StreamsHealth.of(s, alive, closing);
    }

    public KafkaStreams.State state() { return streams.state(); }

    public MonitorMetrics metrics() { return metrics; }

    /** The SAE versions in force (null for the norm-only monitor). */
    public SaeRegistry registry() { return registry; }

    public KafkaStreams streams() { return streams; }

    /** The port of the query endpoints, or -1. */
    public int httpPort() { return http == null ? -1 : http.port(); }

    /** The /metrics port, or -1 when none is served. */
    public int metricsPort() { return metricsServer == null ? -1 : metricsServer.getPort(); }

    @Override
    public void close() { close(Duration.ofSeconds(30)); }

    /** Stops within about {@code grace}: Kafka Streams first (commits, leaves the group), then the endpoints. */
    public void close(Duration grace) {
        closing = true;
        if (watchdog != null) watchdog.close();
        // Leave the group on close, so a replacement instance gets the partitions at once instead of
        // after the old member's session times out.
        boolean clean = streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(grace));
        if (!clean) LOG.warn("Kafka Streams did not stop within {}", grace);
        if (metricsServer != null) metricsServer.close();
        if (http != null) http.close();
        if (worker != null) worker.close();
        if (registry != null) registry.close();
    }
}
