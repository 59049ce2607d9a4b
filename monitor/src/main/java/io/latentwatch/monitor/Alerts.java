package io.latentwatch.monitor;

import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.schema.Severity;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Builds Alert records for the detectors, with deterministic ids (source offset + detector). */
final class Alerts {
    private Alerts() {}

    /**
     * An alert on one activation of a raw sample (detectors that run before projection: activation
     * norm, lens trajectory). {@code source} is the sample's topic-partition@offset, so a record
     * reprocessed after a failover yields the same alert id; {@code index} is the activation's index.
     */
    static Alert fromSample(HiddenStateSample s, Activation a, int index, String source, String detector, Severity severity,
                            double score, double threshold, String summary, Map<String, String> attributes, long nowMs) {
        Map<String, String> attrs = new LinkedHashMap<>(attributes);
        attrs.put("source", source);
        return Alert.newBuilder()
                .setAlertId(detector + ":" + source + ":" + index)
                .setModelId(s.getModelId()).setModelVersion(s.getModelVersion()).setHook(a.getHook())
                .setDetector(detector).setSeverity(severity).setScore(score).setThreshold(threshold)
                .setRequestId(s.getRequestId()).setNodeId(s.getNodeId()).setPosition(a.getPosition())
                .setTimestampMs(Instant.ofEpochMilli(nowMs)).setSampleTimestampMs(s.getTimestampMs())
                .setSummary(summary).setAttributes(attrs).build();
    }

    /** "topic-partition@offset" of the record being processed, else {@code fallback}. */
    static String source(Optional<RecordMetadata> md, String fallback) {
        return md.map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse(fallback);
    }

    static Alert fromProjection(LatentProjection p, String detector, String idSuffix, Severity severity, double score,
                                double threshold, String summary, Map<String, String> attributes, long nowMs) {
        Map<String, String> attrs = new LinkedHashMap<>(attributes);
        attrs.put("source", p.getSource());
        TopLatents.of(p.getLatents(), p.getValues(), 8).putInto(attrs);
        attrs.put("recon_error", fmt(p.getReconError()));
        attrs.put("l0", Integer.toString(p.getL0()));
        if (p.getHead() != null) attrs.put("head", Integer.toString(p.getHead()));
        return Alert.newBuilder()
                .setAlertId(detector + ":" + p.getSource() + ":" + p.getHook() + (p.getHead() == null ? "" : "#" + p.getHead())
                        + (idSuffix.isEmpty() ? "" : ":" + idSuffix))
                .setModelId(p.getModelId()).setModelVersion(p.getModelVersion()).setHook(p.getHook())
                .setDetector(detector).setSeverity(severity).setScore(score).setThreshold(threshold)
                .setRequestId(p.getRequestId()).setNodeId(p.getNodeId()).setPosition(p.getPosition())
                .setSaeVersion(p.getSaeVersion())
                .setTimestampMs(Instant.ofEpochMilli(nowMs)).setSampleTimestampMs(p.getSampleTimestampMs())
                .setSummary(summary).setAttributes(attrs).build();
    }

    static Alert operational(String id, String modelId, String modelVersion, String hook, String detector, Severity severity,
                             String saeVersion, String summary, Map<String, String> attributes, long nowMs, long sampleMs) {
        return Alert.newBuilder()
                .setAlertId(id).setModelId(modelId).setModelVersion(modelVersion == null ? "" : modelVersion).setHook(hook)
                .setDetector(detector).setSeverity(severity).setScore(0).setThreshold(0).setSaeVersion(saeVersion)
                .setTimestampMs(Instant.ofEpochMilli(nowMs)).setSampleTimestampMs(Instant.ofEpochMilli(sampleMs))
                .setSummary(summary).setAttributes(new LinkedHashMap<>(attributes)).build();
    }

    static String fmt(double d) { return String.format(Locale.ROOT, "%.6g", d); }
}
