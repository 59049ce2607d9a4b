package io.latentwatch.monitor;

import io.latentwatch.monitor.audit.AuditKey;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.LensTrajectoryDetector;
import io.latentwatch.monitor.detect.LensTrajectoryScorer;
import io.latentwatch.monitor.incident.IncidentTopology;
import io.latentwatch.monitor.detect.WelfordStatsSerde;
import io.latentwatch.monitor.explain.ExplanationWorker;
import io.latentwatch.monitor.validate.InputLimits;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.AuditCheckpoint;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.serde.LatentwatchSerdes;
import org.apache.kafka.streams.kstream.Repartitioned;
import io.latentwatch.serde.Topic;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

import java.util.Map;
import java.util.Objects;

/**
 * The monitor's stream topology, top to bottom:
 *
 * <pre>
 *   latentwatch.hidden-states (bytes)
 *     -> validate: decode + check hook, dtype, shape, finiteness
 *          invalid -> original bytes + reason headers -> latentwatch.dlq
 *          valid   -> activation-norm z-score vs the (model, hook) baseline in a state store
 *                       -> latentwatch.alerts (Alert, key modelId|hook)
 * </pre>
 *
 * Values are consumed as bytes and decoded inside the topology, so a record that cannot be
 * decoded is dead-lettered with its reason instead of stopping the application.
 */
public final class MonitorTopology {
    public static final String NORM_BASELINES = "activation-norm-baselines";

    private static final Logger LOG = LoggerFactory.getLogger(MonitorTopology.class);
    private final Topics topics;
    private final Deserializer<HiddenStateSample> sampleDeserializer;
    private final Serde<Alert> alertSerde;
    private final ActivationNormDetector normDetector;
    private final MonitorMetrics metrics;
    private final Sae sae;
    private LensTrajectoryScorer lensScorer;
    private LensTrajectoryDetector lensDetector;
    private InputLimits inputLimits = InputLimits.defaults();
    /** The (model, hook) series each task admits (see {@link SeriesBudget}). */
    public static final String ADMITTED_SERIES = "admitted-series";
    private IncidentTopology incidents;
    private Map<String, Integer> repartitionCounts = Map.of();

    public static final String PROJECTION_BUFFER = "projection-buffer";
    public static final String NO_SAE_ANNOUNCED = "no-sae-announced";
    public static final String CIRCUIT_RATES = "circuit-rates";
    public static final String DRIFT_WINDOWS = "drift-windows";
    public static final String PENDING_EXPLANATIONS = "pending-explanations";
    public static final String CHAIN_HEADS = "explanation-chain-heads";
    public static final String SAE_VERSIONS_STORE = "sae-versions-global";
    public static final String PROJECTIONS = "latent-projections";
    public static final String EXPLANATION_CHAIN = "explanation-chain";
    public static final String RECENT_ALERTS = "recent-alerts";
    /** Lens-trajectory warm-up baselines, keyed {@code modelId|layer} (changelogged). */
    public static final String LENS_BASELINES = "lens-trajectory-baselines";

    /** The SAE half of the monitor: projection, detectors, explanations. */
    public record Sae(SaeRegistry registry, MonitorConfig config, LatentwatchSerdes serdes,
                      ExplanationWorker worker, int explanationPartitions) {}

    public MonitorTopology(Topics topics, Deserializer<HiddenStateSample> sampleDeserializer, Serde<Alert> alertSerde,
                           ActivationNormDetector normDetector, MonitorMetrics metrics) {
        this(topics, sampleDeserializer, alertSerde, normDetector, metrics, null);
    }

    public MonitorTopology(Topics topics, Deserializer<HiddenStateSample> sampleDeserializer, Serde<Alert> alertSerde,
                           ActivationNormDetector normDetector, MonitorMetrics metrics, Sae sae) {
        this.topics = topics;
        this.sampleDeserializer = sampleDeserializer;
        this.alertSerde = alertSerde;
        this.normDetector = normDetector;
        this.metrics = metrics;
        this.sae = sae;
    }

    /**
     * Adds the lens-trajectory detector on valid samples (both with and without the SAE half); its alerts
     * join the others (alerts topic, explanations).
     */
    public MonitorTopology withLensTrajectory(LensTrajectoryScorer scorer,
                                              LensTrajectoryDetector detector) {
        this.lensScorer = Objects.requireNonNull(scorer, "scorer");
        this.lensDetector = Objects.requireNonNull(detector, "detector");
        return this;
    }

    /** Replaces the default input limits (record size, series per task). */
    public MonitorTopology withInputLimits(InputLimits limits) {
        this.inputLimits = Objects.requireNonNull(limits, "limits");
        return this;
    }

    /**
     * Fixes the partition count of the repartition topics named in {@code counts} (by their {@code Repartitioned}
     * names, {@link #PROJECTIONS} and {@link IncidentTopology#REPARTITION}); a missing or 0 count is left to Kafka
     * Streams, which derives it from the upstream topics (see {@link InternalTopics}).
     */
    public MonitorTopology withRepartitionCounts(Map<String, Integer> counts) {
        this.repartitionCounts = Map.copyOf(counts);
        return this;
    }

    private <V> Repartitioned<String, V> counted(Repartitioned<String, V> r, String name) {
        int n = repartitionCounts.getOrDefault(name, 0);
        return n > 0 ? r.withNumberOfPartitions(n) : r;
    }

    /** Groups every alert into incidents on the incidents topic (see {@link IncidentTopology}). */
    public MonitorTopology withIncidents(IncidentTopology incidents) {
        this.incidents = Objects.requireNonNull(incidents, "incidents");
        return this;
    }

    public Topology build() {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(NORM_BASELINES), Serdes.String(), new WelfordStatsSerde()).withCachingEnabled());

        // 1. Hidden states arrive as raw bytes; decoding happens in our own code, where failures are data.
        // Every topic read or written here is a Topic carrying its serdes; the input and the dead letters are raw bytes.
        Topic<String, byte[]> input = Topic.raw(topics.hiddenStates()), dlq = Topic.raw(topics.dlq());
        Topic<String, Alert> alertsOut = new Topic<>(topics.alerts(), Serdes.String(), alertSerde);
        KStream<String, byte[]> raw = builder.stream(input.name(), Consumed.with(input.keySerde(), input.valueSerde()).withName("hidden-states"));

        // 2. Decode and validate each record.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ADMITTED_SERIES),
                Serdes.String(), Serdes.Long()).withCachingEnabled());
        InputLimits limits = inputLimits;
        KStream<String, CheckedSample> checked = raw.processValues(
                () -> new ValidateSample(sampleDeserializer, limits, ADMITTED_SERIES), Named.as("validate"), ADMITTED_SERIES);

        Map<String, KStream<String, CheckedSample>> byValidity = checked.split(Named.as("sample-"))
                .branch((key, sample) -> sample.valid(), Branched.as("valid"))
                .defaultBranch(Branched.as("invalid"));

        // 3. Invalid records: original bytes and headers, plus reason and source headers, to the DLQ.
        byValidity.get("sample-invalid")
                .processValues(() -> new DeadLetter(metrics), Named.as("dead-letter"))
                .to(dlq.name(), Produced.with(dlq.keySerde(), dlq.valueSerde()).withName("dlq"));

        // 4. Valid samples: the activation-norm detector against the running baseline; alerts out.
        KStream<String, Alert> normAlerts = byValidity.get("sample-valid")
                .process(() -> new ActivationNormProcessor(normDetector, metrics, NORM_BASELINES, sae == null ? null : sae.registry()),
                        Named.as("activation-norm"), NORM_BASELINES);
        if (lensScorer != null) {
            // 4b. Lens trajectory: early-layer tuned lens vs the final prediction, for samples carrying both.
            var scorer = lensScorer;
            var detector = lensDetector;
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(LENS_BASELINES),
                    Serdes.String(), LensTrajectoryDetector.Baseline.serde()));
            normAlerts = normAlerts.merge(byValidity.get("sample-valid")
                    .process(() -> new LensTrajectoryProcessor(scorer, detector, metrics, LENS_BASELINES), Named.as("lens-trajectory"),
                            LENS_BASELINES),
                    Named.as("merge-lens-trajectory-alerts"));
        }
        if (sae == null) {
            normAlerts.to(alertsOut.name(), Produced.with(alertsOut.keySerde(), alertsOut.valueSerde()).withName("alerts"));
            if (incidents != null) incidents.addTo(builder, normAlerts, repartitionCounts.getOrDefault(IncidentTopology.REPARTITION, 0));
            return builder.build();
        }

        // 5. SAE versions: a global store every instance reads in full; new versions swap in between batches. Read as
        // bytes and decoded by the processor with the topic's serde, so an undecodable version is logged, not fatal.
        TypedTopics typed = TypedTopics.of(topics, sae.serdes());
        Topic<String, SaeVersion> versions = typed.saeVersions();
        Topic<String, byte[]> versionsRaw = Topic.raw(versions.name());
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(SAE_VERSIONS_STORE), versionsRaw.keySerde(),
                        versionsRaw.valueSerde()).withLoggingDisabled(), versionsRaw.name(),
                Consumed.with(versionsRaw.keySerde(), versionsRaw.valueSerde()).withName("sae-versions"),
                () -> new SaeVersionsProcessor(sae.registry(), versions.valueSerde().deserializer(), SAE_VERSIONS_STORE));

        // 6. Projection in micro-batches: samples held in memory, referenced by source offset in a changelogged
        // store (ProjectionBuffer), drained by size or age. Cached: a sample buffered and drained within one commit
        // interval costs one small changelog tombstone (the cache is flushed before every exactly-once commit).
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROJECTION_BUFFER),
                Serdes.Bytes(), Serdes.ByteArray()).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(NO_SAE_ANNOUNCED),
                Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CIRCUIT_RATES),
                Serdes.String(), new LongPairSerde()).withCachingEnabled());
        Map<String, KStream<String, ProjectionOutput>> outs = byValidity.get("sample-valid")
                .process(() -> new ProjectionProcessor(sae.registry(), sampleDeserializer, metrics, sae.config(),
                        PROJECTION_BUFFER, NO_SAE_ANNOUNCED, CIRCUIT_RATES), Named.as("projection"),
                        PROJECTION_BUFFER, NO_SAE_ANNOUNCED, CIRCUIT_RATES)
                .split(Named.as("projected-"))
                .branch((k, o) -> o.projection() != null, Branched.as("latents"))
                .branch((k, o) -> o.alert() != null, Branched.as("alerts"))
                .defaultBranch(Branched.as("dead"));
        outs.get("projected-dead").mapValues(ProjectionOutput::deadLetter, Named.as("projection-dead-bytes"))
                .to(dlq.name(), Produced.with(dlq.keySerde(), dlq.valueSerde()).withName("projection-dlq"));
        KStream<String, Alert> projectionAlerts = outs.get("projected-alerts").mapValues(ProjectionOutput::alert, Named.as("projection-alerts"));

        // 7. Projections re-keyed by model|hook through an internal topic: statistics scale by partition.
        KStream<String, LatentProjection> projections = outs.get("projected-latents")
                .mapValues(ProjectionOutput::projection, Named.as("projection-records"))
                .repartition(counted(Repartitioned.with(Serdes.String(), sae.serdes().serde(LatentProjection.class)).withName(PROJECTIONS),
                        PROJECTIONS));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DRIFT_WINDOWS),
                Serdes.String(), Serdes.ByteArray()).withCachingEnabled()); // log-structured: DriftLog
        KStream<String, Alert> detectorAlerts = projections.process(
                () -> new DetectorProcessor(sae.registry(), metrics, sae.config(), DRIFT_WINDOWS), Named.as("sae-detectors"), DRIFT_WINDOWS);

        KStream<String, Alert> alerts = normAlerts.merge(projectionAlerts, Named.as("merge-projection-alerts"))
                .merge(detectorAlerts, Named.as("merge-detector-alerts"));
        alerts.to(alertsOut.name(), Produced.with(alertsOut.keySerde(), alertsOut.valueSerde()).withName("alerts"));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RECENT_ALERTS),
                Serdes.String(), Serdes.String()));
        alerts.process(() -> new RecentAlertsProcessor(RECENT_ALERTS), Named.as("recent-alerts"), RECENT_ALERTS);
        if (incidents != null) incidents.addTo(builder, alerts, repartitionCounts.getOrDefault(IncidentTopology.REPARTITION, 0));

        // 8. Explanations: built next to the alert, then hash-chained per explanations partition.
        Topic<String, Explanation> explanations = typed.explanations();
        Serde<Explanation> explanationSerde = explanations.valueSerde();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_EXPLANATIONS),
                Serdes.String(), explanationSerde));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CHAIN_HEADS),
                Serdes.String(), Serdes.String()));
        KeyHashPartitioner<Explanation> partitioner = new KeyHashPartitioner<>();
        KStream<String, Explanation> chained = alerts.process(() -> new ExplainProcessor(sae.registry(), sae.worker(), metrics,
                        sae.config(), PENDING_EXPLANATIONS), Named.as("explain"), PENDING_EXPLANATIONS)
                .repartition(Repartitioned.with(Serdes.String(), explanationSerde).withName(EXPLANATION_CHAIN)
                        .withNumberOfPartitions(sae.explanationPartitions()).withStreamPartitioner(partitioner))
                .process(() -> new ChainProcessor(CHAIN_HEADS), Named.as("hash-chain"), CHAIN_HEADS);
        chained.to(explanations.name(), Produced.with(explanations.keySerde(), explanationSerde).withStreamPartitioner(partitioner)
                .withName("explanations"));
        // 9. Signed checkpoints of each partition's chain head (same task, same transaction as the records).
        AuditKey auditKey = sae.config().auditKey();
        if (auditKey != null) {
            Duration every = Duration.ofMillis(sae.config().lng(MonitorConfig.AUDIT_CHECKPOINT_INTERVAL_MS));
            String explanationsTopic = explanations.name();
            Topic<String, AuditCheckpoint> checkpoints = typed.auditCheckpoints();
            chained.process(() -> new CheckpointProcessor(CHAIN_HEADS, explanationsTopic, auditKey, every), Named.as("audit-checkpoints"),
                            CHAIN_HEADS)
                    .to(checkpoints.name(), Produced.with(checkpoints.keySerde(), checkpoints.valueSerde()).withName("audit-checkpoints-sink"));
        } else {
            LOG.warn("no audit key ({} or ${}): the compliance log gets no signed checkpoints, so audit verify cannot detect a "
                    + "partition truncated at its end or rewritten as a new chain", MonitorConfig.AUDIT_KEY_FILE, AuditKey.ENV);
        }
        if (incidents != null) {
            incidents.indexExplanations(builder, chained, explanationSerde,
                    Duration.ofMillis(sae.config().lng(MonitorConfig.INCIDENT_EXPLANATION_RETENTION_MS)));
        }
        return builder.build();
    }
}
