package io.latentwatch.serde;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.AuditCheckpoint;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.Incident;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.schema.SaeVersion;
import org.apache.kafka.common.serialization.Serdes;

import java.util.Objects;

/**
 * latentwatch's topics with their contracts: the names of {@link Topics} (prefix included) joined to the serdes
 * of {@link LatentwatchSerdes} (schema registry or embedded schemas). Keys are strings throughout; what each key
 * is, is listed on {@link Topics}.
 */
public final class TypedTopics {
    private final Topics names;
    private final LatentwatchSerdes serdes;

    private TypedTopics(Topics names, LatentwatchSerdes serdes) {
        this.names = Objects.requireNonNull(names, "names");
        this.serdes = Objects.requireNonNull(serdes, "serdes");
    }

    public static TypedTopics of(Topics names, LatentwatchSerdes serdes) {
        return new TypedTopics(names, serdes);
    }

    public Topics names() { return names; }

    public Topic<String, HiddenStateSample> hiddenStates() {
        return new Topic<>(names.hiddenStates(), Serdes.String(), serdes.serde(HiddenStateSample.class));
    }

    /** The hidden-states topic as raw bytes: the monitor decodes in its own code, where a bad record is data. */
    public Topic<String, byte[]> hiddenStatesRaw() { return Topic.raw(names.hiddenStates()); }

    public Topic<String, LabeledExample> examples() {
        return new Topic<>(names.examples(), Serdes.String(), serdes.serde(LabeledExample.class));
    }

    public Topic<String, SaeVersion> saeVersions() {
        return new Topic<>(names.saeVersions(), Serdes.String(), serdes.serde(SaeVersion.class));
    }

    public Topic<String, Alert> alerts() {
        return new Topic<>(names.alerts(), Serdes.String(), serdes.serde(Alert.class));
    }

    public Topic<String, Explanation> explanations() {
        return new Topic<>(names.explanations(), Serdes.String(), serdes.serde(Explanation.class));
    }

    public Topic<String, Incident> incidents() {
        return new Topic<>(names.incidents(), Serdes.String(), serdes.serde(Incident.class));
    }

    public Topic<String, AuditCheckpoint> auditCheckpoints() {
        return new Topic<>(names.auditCheckpoints(), Serdes.String(), serdes.serde(AuditCheckpoint.class));
    }

    /** Dead letters: the original bytes (and headers) of a record that failed, the reason in headers. */
    public Topic<String, byte[]> dlq() { return Topic.raw(names.dlq()); }
}
