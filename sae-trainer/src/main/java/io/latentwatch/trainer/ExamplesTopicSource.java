package io.latentwatch.trainer;

import io.latentwatch.interp.sae.TokenContext;
import io.latentwatch.schema.LabeledExample;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Activations of the {@link LabeledExample}s in a {@link TopicSlice} of {@code latentwatch.examples}:
 * each example's prompt is run through the model (as {@link PromptActivationSource} does, BOS
 * skipped) and its tokens' rows at the hook are streamed out, one example at a time, so only one
 * prompt's activations are in memory here (the {@link BoundedActivationBuffer} bounds the rest).
 *
 * <p>Every label (POSITIVE, NEGATIVE, REFERENCE) is training text for an SAE. Examples whose
 * {@code modelId} names another model are skipped (null means "any model"); records that do not
 * decode are skipped too; both are counted in {@link #skipped()} by reason. The prompt index of a
 * row is derived from the record's partition and offset, so the train/validation split by prompt
 * is the same in every epoch whatever order partitions arrive in.
 */
public final class ExamplesTopicSource implements ActivationSource {
    private static final Logger LOG = LoggerFactory.getLogger(ExamplesTopicSource.class);
    private final TopicSlice.Reader reader;
    private final Deserializer<LabeledExample> values;
    private final ActivationModel model;
    private final String hook;
    private final String topic;
    private final Map<String, Long> skipped = new TreeMap<>();
    private long examples;
    private ActivationModel.PromptActivations current;
    private int promptId;
    private int pos;

    public ExamplesTopicSource(TopicSlice slice, Deserializer<LabeledExample> values, ActivationModel model, String hook) {
        this.reader = slice.reader();
        this.topic = slice.topic();
        this.values = Objects.requireNonNull(values, "values");
        this.model = Objects.requireNonNull(model, "model");
        this.hook = Objects.requireNonNull(hook, "hook");
    }

    @Override
    public int dIn() { return model.dModel(); }

    @Override
    public ActivationRow next() {
        while (current == null || pos >= current.positions()) {
            ConsumerRecord<byte[], byte[]> r = reader.next();
            if (r == null) return null;
            LabeledExample ex;
            try {
                ex = values.deserialize(r.topic(), r.headers(), r.value());
            } catch (RuntimeException e) {
                skip("undecodable", r, e.getMessage());
                continue;
            }
            if (ex == null) { skip("tombstone", r, null); continue; }
            if (ex.getModelId() != null && !ex.getModelId().equals(model.modelId())) {
                skip("other-model", r, ex.getModelId());
                continue;
            }
            if (ex.getPrompt().isBlank()) { skip("empty-prompt", r, null); continue; }
            current = model.run(ex.getPrompt(), hook);
            examples++;
            promptId = promptId(r.partition(), r.offset());
            pos = current.positions() > 1 ? 1 : 0;      // skip BOS (see PromptActivationSource)
        }
        int d = current.dim();
        float[] row = Arrays.copyOfRange(current.rows(), pos * d, (pos + 1) * d);
        TokenContext ctx = TokenContext.of(current.tokens(), promptId, pos);
        pos++;
        return new ActivationRow(row, ctx);
    }

    /** A stable prompt id from where the record sits (offsets of one partition are distinct; partitions are spread apart). */
    static int promptId(int partition, long offset) {
        return (int) (offset ^ ((long) partition << 24));
    }

    private void skip(String reason, ConsumerRecord<byte[], byte[]> r, String detail) {
        long n = skipped.merge(reason, 1L, Long::sum);
        if (n == 1) LOG.warn("skipping {} record(s) of {} (first at partition {} offset {}{})", reason, topic, r.partition(), r.offset(),
                detail == null ? "" : ": " + detail);
    }

    /** Examples whose prompts were run through the model so far. */
    public long examples() { return examples; }

    /** Records skipped so far, by reason: other-model, undecodable, tombstone, empty-prompt. */
    public Map<String, Long> skipped() { return Map.copyOf(skipped); }

    @Override
    public void close() {
        reader.close();
    }
}
