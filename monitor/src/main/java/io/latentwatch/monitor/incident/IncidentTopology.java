package io.latentwatch.monitor.incident;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.Incident;
import io.latentwatch.serde.Topic;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;

/**
 * The incident part of the monitor's topology:
 *
 * <pre>
 *   alerts (key modelId|hook) -> re-key by group key -> {@value #REPARTITION} (internal topic)
 *     -> incidents processor ({@value #STATE} store) -> incidents topic (key incidentId, compacted)
 *   explanations (hash-chained) -> {@value #EXPLANATIONS} window store (for the incident page)
 * </pre>
 *
 * Alerts of one request arrive under several keys (one per hook), so they are re-keyed through an
 * internal topic: every group then lives in exactly one task.
 */
public final class IncidentTopology {
    public static final String STATE = "incident-state";
    public static final String REPARTITION = "incident-alerts";
    public static final String EXPLANATIONS = "explanations-by-alert";

    private final Serde<Alert> alertSerde;
    private final Topic<String, Incident> out;
    private final IncidentGrouper.Config config;
    private final IncidentMetrics metrics;

    /** {@code out}: the incidents topic with its serdes (its value serde also serves the {@value #STATE} store). */
    public IncidentTopology(Serde<Alert> alertSerde, Topic<String, Incident> out, IncidentGrouper.Config config, IncidentMetrics metrics) {
        this.alertSerde = alertSerde;
        this.out = out;
        this.config = config;
        this.metrics = metrics;
    }

    /**
     * Groups {@code alerts} into incidents written to the incidents topic; {@code partitions} fixes the re-keying
     * topic's count (0: Kafka Streams derives it from the upstream topics).
     */
    public void addTo(StreamsBuilder builder, KStream<String, Alert> alerts, int partitions) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STATE), Serdes.String(), out.valueSerde()));
        IncidentGrouper grouper = new IncidentGrouper(config);
        alerts.selectKey((k, a) -> IncidentGrouper.groupKey(a), Named.as("incident-group-key"))
                .repartition(partitions > 0 ? Repartitioned.with(Serdes.String(), alertSerde).withName(REPARTITION).withNumberOfPartitions(partitions)
                        : Repartitioned.with(Serdes.String(), alertSerde).withName(REPARTITION))
                .process(() -> new IncidentProcessor(grouper, STATE, metrics), Named.as("incidents"), STATE)
                .to(out.name(), Produced.with(out.keySerde(), out.valueSerde()).withName("incidents-out"));
    }

    /** Indexes the hash-chained explanations by alert id for {@code retention}. */
    public void indexExplanations(StreamsBuilder builder, KStream<String, Explanation> chained, Serde<Explanation> serde, Duration retention) {
        builder.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(EXPLANATIONS, retention, retention, false),
                Serdes.String(), serde));
        chained.process(() -> new ExplanationIndexProcessor(EXPLANATIONS), Named.as("explanation-index"), EXPLANATIONS);
    }

    public IncidentGrouper.Config config() {
        return config;
    }
}
