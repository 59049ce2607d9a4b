package io.latentwatch.trainer;

import io.latentwatch.schema.ExampleLabel;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.serde.Topic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * Puts {@link LabeledExample}s on the examples topic, the trainer's input: REFERENCE prompts (normal traffic, the text
 * an SAE is fitted on and the circuit baseline) and a circuit task's POSITIVE and NEGATIVE prompts (from a zoo
 * {@code circuits.json} or a JSONL file of {@link LabeledExampleFile}). This is how a fresh deployment gets its first
 * SAE and circuit signature: the trainer refits once enough new examples arrived. Idempotent producer, acks=all,
 * key = task (the topic's key).
 */
public final class ExamplesPublisher {
    private ExamplesPublisher() {}

    /** One REFERENCE example per prompt. */
    public static List<LabeledExample> reference(List<String> prompts, String modelId, String source) {
        List<LabeledExample> out = new ArrayList<>();
        for (String p : prompts) out.add(example(p, ExampleLabel.REFERENCE, "reference", source, modelId));
        return out;
    }

    /** The POSITIVE and NEGATIVE prompts of {@code task} in a zoo {@code circuits.json}. */
    public static List<LabeledExample> fromCircuitsJson(Path circuitsJson, String task, String modelId) throws IOException {
        CircuitRefit.Spec s = CircuitRefit.fromCircuitsJson(circuitsJson, modelId, task, 0, List.of(), 0);
        List<LabeledExample> out = new ArrayList<>();
        String source = "circuits.json";
        for (String p : s.positives()) out.add(example(p, ExampleLabel.POSITIVE, task, source, modelId));
        for (String p : s.negatives()) out.add(example(p, ExampleLabel.NEGATIVE, task, source, modelId));
        return out;
    }

    /** Sends every example and waits for each acknowledgement; returns how many were written. */
    public static int publish(Map<String, ?> kafka, Topic<String, LabeledExample> topic, List<LabeledExample> examples)
            throws Exception {
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "latentwatch-examples");
        try (KafkaProducer<String, LabeledExample> producer = topic.producer(p)) {
            List<Future<?>> sent = new ArrayList<>();
            for (LabeledExample e : examples) sent.add(producer.send(topic.record(e.getTask(), e)));
            for (Future<?> f : sent) f.get();
        }
        return examples.size();
    }

    private static LabeledExample example(String prompt, ExampleLabel label, String task, String source, String modelId) {
        return LabeledExample.newBuilder().setPrompt(prompt).setLabel(label).setTask(task).setSource(source)
                .setModelId(modelId)
                .setTimestampMs(Instant.now().truncatedTo(ChronoUnit.MILLIS)).build(); // the contract's timestamp-millis: as read back
    }
}
