package io.latentwatch.monitor;

import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.WelfordStatsSerde;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.Topics;
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

import java.util.Map;

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

    private final Topics topics;
    private final Deserializer<HiddenStateSample> sampleDeserializer;
    private final Serde<Alert> alertSerde;
    private final ActivationNormDetector normDetector;
    private final MonitorMetrics metrics;

    public MonitorTopology(Topics topics, Deserializer<HiddenStateSample> sampleDeserializer, Serde<Alert> alertSerde,
                           ActivationNormDetector normDetector, MonitorMetrics metrics) {
        this.topics = topics;
        this.sampleDeserializer = sampleDeserializer;
        this.alertSerde = alertSerde;
        this.normDetector = normDetector;
        this.metrics = metrics;
    }

    public Topology build() {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(NORM_BASELINES), Serdes.String(), new WelfordStatsSerde()));

        // 1. Hidden states arrive as raw bytes; decoding happens in our own code, where failures are data.
        KStream<String, byte[]> raw = builder.stream(topics.hiddenStates(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("hidden-states"));

        // 2. Decode and validate each record.
        KStream<String, CheckedSample> checked = raw.processValues(
                () -> new ValidateSample(sampleDeserializer), Named.as("validate"));

        Map<String, KStream<String, CheckedSample>> byValidity = checked.split(Named.as("sample-"))
                .branch((key, sample) -> sample.valid(), Branched.as("valid"))
                .defaultBranch(Branched.as("invalid"));

        // 3. Invalid records: original bytes and headers, plus reason and source headers, to the DLQ.
        byValidity.get("sample-invalid")
                .processValues(() -> new DeadLetter(metrics), Named.as("dead-letter"))
                .to(topics.dlq(), Produced.with(Serdes.String(), Serdes.ByteArray()).withName("dlq"));

        // 4. Valid samples: the activation-norm detector against the running baseline; alerts out.
        byValidity.get("sample-valid")
                .process(() -> new ActivationNormProcessor(normDetector, metrics, NORM_BASELINES),
                        Named.as("activation-norm"), NORM_BASELINES)
                .to(topics.alerts(), Produced.with(Serdes.String(), alertSerde).withName("alerts"));

        return builder.build();
    }
}
