package io.latentwatch.monitor;

import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.publisher.KafkaConfig;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The monitor as a running application: {@link MonitorTopology} on {@link KafkaStreams} with
 * exactly-once processing (v2: one transaction per task commit spans the consumed offsets, the
 * state-store changelog and the alerts/DLQ records), plus the Prometheus {@code /metrics} endpoint.
 */
public final class MonitorApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorApp.class);
    public static final String APPLICATION_ID = "latentwatch-monitor";

    private final KafkaStreams streams;
    private final MonitorMetrics metrics;
    private final HTTPServer metricsServer;
    private final io.latentwatch.monitor.sae.SaeRegistry registry;
    private final io.latentwatch.monitor.explain.ExplanationWorker worker;
    private final io.latentwatch.monitor.http.MonitorHttp http;

    private static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The port of the query endpoints, or -1. */
    public int httpPort() { return http == null ? -1 : http.port(); }

    /** Partitions of an existing topic, asked of the cluster (the explanation chain needs the exact count). */
    static int partitionsOf(Map<String, Object> streamsConfig, String topic) {
        Map<String, Object> adminCfg = new LinkedHashMap<>();
        adminCfg.put(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                streamsConfig.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(adminCfg)) {
            return admin.describeTopics(java.util.List.of(topic)).allTopicNames().get(30, java.util.concurrent.TimeUnit.SECONDS)
                    .get(topic).partitions().size();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the partition count of " + topic + " (create it first, or set "
                    + MonitorConfig.EXPLANATIONS_PARTITIONS + "): " + e.getMessage(), e);
        }
    }

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
     * @param streamsConfig Kafka Streams properties (see {@link #streamsDefaults}; pass them through
     *                      {@link KafkaConfig#withEnvironment} to honour environment overrides)
     * @param metricsPort   port of the /metrics endpoint: 0 for any free port, negative for none
     */
    public MonitorApp(Map<String, Object> streamsConfig, Topics topics, LatentwatchSerdes serdes,
                      ActivationNormDetector detector, int metricsPort) {
        this(streamsConfig, topics, serdes, detector, metricsPort, null, null, (io.latentwatch.monitor.explain.RepresentationReader) null);

    }

    /** The full monitor with model readings from {@code reader} (null: explanations without model readings). */
    public MonitorApp(Map<String, Object> streamsConfig, Topics topics, LatentwatchSerdes serdes,
                      ActivationNormDetector detector, int metricsPort, MonitorConfig monitorConfig,
                      io.latentwatch.monitor.detect.Watchlist watchlist, io.latentwatch.monitor.explain.RepresentationReader reader) {
        this(streamsConfig, topics, serdes, detector, metricsPort, monitorConfig, watchlist,
                reader == null ? null
                        : (java.util.function.Function<io.latentwatch.monitor.sae.SaeRegistry, io.latentwatch.monitor.explain.RepresentationReader>) r -> reader, null, null);
    }

    /**
     * The full monitor with a reader that needs the monitor's SAE registry (e.g. to reconstruct the
     * flagged representation from the alert's latents): {@code reg -> new ModelRepresentationReader(models, reg, 5, 4)}.
     */
    public static MonitorApp withReaderFactory(Map<String, Object> streamsConfig, Topics topics, LatentwatchSerdes serdes,
                                               ActivationNormDetector detector, int metricsPort, MonitorConfig monitorConfig,
                                               io.latentwatch.monitor.detect.Watchlist watchlist,
                                               java.util.function.Function<io.latentwatch.monitor.sae.SaeRegistry, io.latentwatch.monitor.explain.RepresentationReader> readerFactory) {
        return new MonitorApp(streamsConfig, topics, serdes, detector, metricsPort, monitorConfig, watchlist, readerFactory, null, null);
    }

    /**
     * As {@link #withReaderFactory}, plus the lens-trajectory detector on the models of {@code lensScorer}
     * (thresholds from {@code monitor.lens.*} in {@code monitorConfig}, defaults when it is null).
     */
    public static MonitorApp withLensTrajectory(Map<String, Object> streamsConfig, Topics topics, LatentwatchSerdes serdes,
                                                ActivationNormDetector detector, int metricsPort, MonitorConfig monitorConfig,
                                                io.latentwatch.monitor.detect.Watchlist watchlist,
                                                java.util.function.Function<io.latentwatch.monitor.sae.SaeRegistry, io.latentwatch.monitor.explain.RepresentationReader> readerFactory,
                                                io.latentwatch.monitor.detect.LensTrajectoryScorer lensScorer) {
        MonitorConfig lc = monitorConfig == null ? MonitorConfig.defaults() : monitorConfig;
        return new MonitorApp(streamsConfig, topics, serdes, detector, metricsPort, monitorConfig, watchlist, readerFactory,
                java.util.Objects.requireNonNull(lensScorer, "lensScorer"), lensDetector(lc));
    }

    /** The lens-trajectory detector with the {@code monitor.lens.*} settings of {@code c}. */
    public static io.latentwatch.monitor.detect.LensTrajectoryDetector lensDetector(MonitorConfig c) {
        return new io.latentwatch.monitor.detect.LensTrajectoryDetector(
                c.integer(MonitorConfig.LENS_WARMUP), c.dbl(MonitorConfig.LENS_QUANTILE), c.dbl(MonitorConfig.LENS_MARGIN));
    }

    /**
     * A builder for the monitor's options:
     * <pre>{@code
     * MonitorApp app = MonitorApp.builder(streamsProps, topics, serdes)
     *         .normDetector(new ActivationNormDetector(50, 4, 8)).metricsPort(9400)
     *         .sae(cfg, watchlist, reg -> ModelRepresentationReader.withTunedLenses(models, cfg.tunedLensDirs(), reg, 5, 4))
     *         .lensTrajectory(models, cfg)          // tuned lens per model from monitor.tuned-lens.dir.<model>
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
        private MonitorConfig saeConfig;
        private io.latentwatch.monitor.detect.Watchlist watchlist;
        private java.util.function.Function<io.latentwatch.monitor.sae.SaeRegistry, io.latentwatch.monitor.explain.RepresentationReader> readerFactory;
        private io.latentwatch.monitor.detect.LensTrajectoryScorer lensScorer;
        private io.latentwatch.monitor.detect.LensTrajectoryDetector lensDetector;

        private Builder(Map<String, Object> streamsConfig, Topics topics, LatentwatchSerdes serdes) {
            this.streamsConfig = java.util.Objects.requireNonNull(streamsConfig, "streamsConfig");
            this.topics = java.util.Objects.requireNonNull(topics, "topics");
            this.serdes = java.util.Objects.requireNonNull(serdes, "serdes");
        }

        /** The activation-norm detector (default: warm-up 50, |z| 4 / 8). */
        public Builder normDetector(ActivationNormDetector d) { this.normDetector = java.util.Objects.requireNonNull(d); return this; }

        /** Port of /metrics: 0 for any free port, negative (the default) for none. */
        public Builder metricsPort(int port) { this.metricsPort = port; return this; }

        /**
         * Turns on the SAE half (projection, SAE detectors, circuits, explanations) with {@code config};
         * {@code readerFactory} may be null (explanations without model readings).
         */
        public Builder sae(MonitorConfig config, io.latentwatch.monitor.detect.Watchlist watchlist,
                           java.util.function.Function<io.latentwatch.monitor.sae.SaeRegistry, io.latentwatch.monitor.explain.RepresentationReader> readerFactory) {
            this.saeConfig = java.util.Objects.requireNonNull(config, "config");
            this.watchlist = watchlist;
            this.readerFactory = readerFactory;
            return this;
        }

        /**
         * Turns on the lens-trajectory detector on {@code models} (model id -> loaded model, the ids the nodes publish),
         * with the tuned lens of each model named by {@code monitor.tuned-lens.dir.<modelId>} in {@code config} (a model
         * without one is read with the logit lens) and the {@code monitor.lens.*} thresholds of {@code config}.
         *
         * @throws java.io.IOException when a configured tuned lens cannot be read or does not fit its model
         */
        public Builder lensTrajectory(Map<String, io.latentwatch.interp.model.HookedTransformer> models, MonitorConfig config) throws IOException {
            return lensTrajectory(new io.latentwatch.monitor.detect.LensTrajectoryScorer(models,
                    io.latentwatch.monitor.detect.LensTrajectoryScorer.loadLenses(models, config.tunedLensDirs())), lensDetector(config));
        }

        /** Turns on the lens-trajectory detector with lenses already loaded (see {@link #lensTrajectory(Map, MonitorConfig)}). */
        public Builder lensTrajectory(io.latentwatch.monitor.detect.LensTrajectoryScorer scorer, io.latentwatch.monitor.detect.LensTrajectoryDetector detector) {
            this.lensScorer = java.util.Objects.requireNonNull(scorer, "scorer");
            this.lensDetector = java.util.Objects.requireNonNull(detector, "detector");
            return this;
        }

        public MonitorApp build() {
            return new MonitorApp(streamsConfig, topics, serdes, normDetector, metricsPort, saeConfig, watchlist, readerFactory,
                    lensScorer, lensDetector);
        }
    }

    /**
     * The full monitor: the walking skeleton plus SAE projection, detectors and hash-chained
     * explanations, configured by {@code monitorConfig}.
     *
     * @param readerFactory model readings for explanations (lenses, Patchscope), given the SAE registry
     *                      (see {@link #withReaderFactory}); null when no model is at hand
     */
    private MonitorApp(Map<String, Object> streamsConfig, Topics topics, LatentwatchSerdes serdes,
                      ActivationNormDetector detector, int metricsPort, MonitorConfig monitorConfig,
                      io.latentwatch.monitor.detect.Watchlist watchlist,
                      java.util.function.Function<io.latentwatch.monitor.sae.SaeRegistry, io.latentwatch.monitor.explain.RepresentationReader> readerFactory,
                      io.latentwatch.monitor.detect.LensTrajectoryScorer lensScorer,
                      io.latentwatch.monitor.detect.LensTrajectoryDetector lensDetector) {
        this.metrics = new MonitorMetrics();
        MonitorTopology.Sae sae = null;
        if (monitorConfig != null) {
            this.registry = new io.latentwatch.monitor.sae.SaeRegistry(watchlist == null ? io.latentwatch.monitor.detect.Watchlist.empty() : watchlist);
            this.worker = readerFactory == null ? null : new io.latentwatch.monitor.explain.ExplanationWorker(readerFactory.apply(registry),
                    monitorConfig.integer(MonitorConfig.EXPLAIN_WORKERS), monitorConfig.integer(MonitorConfig.EXPLAIN_QUEUE));
            int parts = monitorConfig.integer(MonitorConfig.EXPLANATIONS_PARTITIONS);
            if (parts <= 0) parts = partitionsOf(streamsConfig, topics.explanations());
            sae = new MonitorTopology.Sae(registry, monitorConfig, serdes, worker, parts);
        } else {
            this.registry = null;
            this.worker = null;
        }
        MonitorTopology topology = new MonitorTopology(topics, serdes.deserializer(HiddenStateSample.class),
                serdes.serde(Alert.class), detector, metrics, sae);
        Map<String, Object> cfg = new LinkedHashMap<>(streamsConfig);
        org.apache.kafka.streams.state.HostInfo httpHost = null;
        if (monitorConfig != null && monitorConfig.integer(MonitorConfig.HTTP_PORT) >= 0) {
            int port = monitorConfig.integer(MonitorConfig.HTTP_PORT);
            if (port == 0) port = freePort();
            httpHost = new org.apache.kafka.streams.state.HostInfo(monitorConfig.str(MonitorConfig.HTTP_HOST), port);
            // Interactive queries: every instance advertises where its HTTP endpoint answers.
            cfg.put(StreamsConfig.APPLICATION_SERVER_CONFIG, httpHost.host() + ":" + httpHost.port());
        }
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(cfg.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))) {
            LOG.warn("processing.guarantee is {}, not exactly_once_v2: alerts and dead letters may be duplicated",
                    cfg.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        }
        if (lensScorer != null) {
            topology.withLensTrajectory(lensScorer, lensDetector != null ? lensDetector
                    : lensDetector(monitorConfig == null ? MonitorConfig.defaults() : monitorConfig));
        }
        // Incidents: every alert grouped per request or per (model, hook, detector) on the incidents topic.
        topology.withIncidents(new io.latentwatch.monitor.incident.IncidentTopology(serdes.serde(Alert.class),
                serdes.serde(io.latentwatch.schema.Incident.class),
                (monitorConfig == null ? MonitorConfig.defaults() : monitorConfig).incidents(), metrics::incident));
        this.streams = new KafkaStreams(topology.build(), KafkaConfig.toProperties(cfg));
        // Poison records are dead-lettered in the topology; anything else is a bug or an outage:
        // log it and replace the thread so the monitor keeps watching.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        try {
            this.http = httpHost == null ? null : new io.latentwatch.monitor.http.MonitorHttp(streams, registry, httpHost);
        } catch (IOException e) {
            streams.close();
            throw new UncheckedIOException("cannot serve the query endpoints on " + httpHost, e);
        }
        try {
            this.metricsServer = metricsPort < 0 ? null
                    : HTTPServer.builder().port(metricsPort).registry(metrics.registry()).buildAndStart();
        } catch (IOException e) {
            streams.close();
            throw new UncheckedIOException("cannot serve /metrics on port " + metricsPort, e);
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

    public KafkaStreams.State state() { return streams.state(); }

    public MonitorMetrics metrics() { return metrics; }

    /** The SAE versions in force (null for the norm-only monitor). */
    public io.latentwatch.monitor.sae.SaeRegistry registry() { return registry; }

    public KafkaStreams streams() { return streams; }

    /** The /metrics port, or -1 when none is served. */
    public int metricsPort() { return metricsServer == null ? -1 : metricsServer.getPort(); }

    @Override
    public void close() {
        // Leave the group on close, so a replacement instance gets the partitions at once instead of
        // after the old member's session times out.
        streams.close(org.apache.kafka.streams.CloseOptions
                .groupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(30)));
        if (metricsServer != null) metricsServer.close();
        if (http != null) http.close();
        if (worker != null) worker.close();
        if (registry != null) registry.close();
    }
}
