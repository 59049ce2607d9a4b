package io.latentwatch.trainer.service;

import io.latentwatch.schema.ExampleLabel;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.trainer.CircuitRefit;
import io.latentwatch.trainer.SaeRefit;
import io.latentwatch.trainer.TopicSlice;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One circuit refit cycle from the examples topic: the {@link LabeledExample}s of one task that the circuit trainer's
 * consumer group has not consumed (POSITIVE and NEGATIVE prompts; REFERENCE prompts of any task as the baseline's
 * normal traffic), run through {@link CircuitRefit} (discovery, gates, artifact, SaeVersion). The slice is committed
 * when the refit completed; while there are fewer than {@code minPerLabel} positives or negatives it is left
 * uncommitted, so examples accumulate until a discovery is worth running. Examples for another model are skipped.
 */
public final class CircuitTopicRefit implements Callable<SaeRefit.Result> {
    private static final Logger LOG = LoggerFactory.getLogger(CircuitTopicRefit.class);
    private final Map<String, ?> consumerConfig;
    private final String topic;
    private final Deserializer<LabeledExample> values;
    private final CircuitRefit refit;
    private final String modelId;
    private final String task;
    private final int layer;
    private final int minPerLabel;
    private final long maxRecords;
    private long seed;

    public CircuitTopicRefit(Map<String, ?> consumerConfig, String topic, Deserializer<LabeledExample> values, CircuitRefit refit,
                             String modelId, String task, int layer, int minPerLabel, long maxRecords, long seed) {
        this.consumerConfig = Map.copyOf(consumerConfig);
        this.topic = topic;
        this.values = values;
        this.refit = refit;
        this.modelId = modelId;
        this.task = task;
        this.layer = layer;
        this.minPerLabel = minPerLabel;
        this.maxRecords = maxRecords;
        this.seed = seed;
    }

    /** The circuit trainer's consumer group for one model and task. */
    public static String groupId(String modelId, String task) {
        return "latentwatch-circuit-trainer." + modelId.replaceAll("[^A-Za-z0-9._-]", "_") + "." + task.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** Examples not yet consumed by the group (at most {@code cap}). */
    public long pending(long cap) {
        return TopicSlice.pending(consumerConfig, topic, groupId(modelId, task), cap);
    }

    @Override
    public SaeRefit.Result call() throws Exception {
        TopicSlice slice = TopicSlice.snapshot(consumerConfig, topic, groupId(modelId, task), maxRecords);
        if (slice.isEmpty()) return new SaeRefit.Result(false, null, List.of("no new examples on " + topic), Map.of());
        List<String> pos = new ArrayList<>(), neg = new ArrayList<>(), ref = new ArrayList<>();
        try (TopicSlice.Reader reader = slice.reader()) {
            for (ConsumerRecord<byte[], byte[]> r; (r = reader.next()) != null; ) {
                LabeledExample ex;
                try {
                    ex = values.deserialize(r.topic(), r.headers(), r.value());
                } catch (RuntimeException e) {
                    LOG.warn("{}-{}@{}: undecodable example skipped: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                    continue;
                }
                if (ex.getModelId() != null && !ex.getModelId().equals(modelId)) continue;
                if (ex.getLabel() == ExampleLabel.REFERENCE) ref.add(ex.getPrompt());
                else if (ex.getTask().equals(task)) (ex.getLabel() == ExampleLabel.POSITIVE ? pos : neg).add(ex.getPrompt());
            }
        }
        if (pos.size() < minPerLabel || neg.size() < minPerLabel) {
            return new SaeRefit.Result(false, null, List.of("task '" + task + "' has " + pos.size() + " positive and " + neg.size()
                    + " negative new examples, needs " + minPerLabel + " of each; waiting for more"), Map.of());
        }
        // Discovery compares positives with negatives position by position: equal counts.
        int n = Math.min(pos.size(), neg.size());
        CircuitRefit.Outcome o = refit.run(new CircuitRefit.Spec(modelId, task, layer, pos.subList(pos.size() - n, pos.size()),
                neg.subList(neg.size() - n, neg.size()), ref, seed++));
        slice.commit();
        if (o.result().published()) {
            LOG.info("circuit '{}' signature {} published as {} version {}", task, o.signature().getHeads(), o.hook(), o.result().version());
        }
        return o.result();
    }
}
