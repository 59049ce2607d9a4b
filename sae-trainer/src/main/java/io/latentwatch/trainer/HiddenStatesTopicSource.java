package io.latentwatch.trainer;

import io.latentwatch.interp.sae.TokenContext;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.HiddenStateSample;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Sampled production traffic as SAE training data: the {@link HiddenStateSample}s in a
 * {@link TopicSlice} of {@code latentwatch.hidden-states}, each {@link Activation} at the chosen
 * model and hook decoded (F32, F16 or BF16 little-endian bytes, {@link Float16Codec}) into one row.
 *
 * <p>Skipped, and counted by reason in {@link #skipped()}: samples of other models
 * ({@code other-model}), activations at other hooks ({@code other-hook}), activations whose shape
 * does not hold {@code dIn} values ({@code wrong-dimension}), whose bytes do not match shape and
 * dtype ({@code bad-data}), and records that do not decode ({@code undecodable}). Only one
 * sample's rows are held here; the {@link BoundedActivationBuffer} bounds the rest.
 *
 * <p>Token text is on the wire only when the node opted in ({@code tokenText}); otherwise a row's
 * token is shown as {@code #<id>}. BOS rows are kept: a node samples the positions it chose.
 */
public final class HiddenStatesTopicSource implements ActivationSource {
    private static final Logger LOG = LoggerFactory.getLogger(HiddenStatesTopicSource.class);
    private final TopicSlice.Reader reader;
    private final Deserializer<HiddenStateSample> values;
    private final String modelId;
    private final String hook;
    private final int dIn;
    private final String topic;
    private final Map<String, Long> skipped = new TreeMap<>();
    private final Deque<ActivationRow> pending = new ArrayDeque<>();
    private long samples;
    private long rows;

    public HiddenStatesTopicSource(TopicSlice slice, Deserializer<HiddenStateSample> values, String modelId, String hook, int dIn) {
        if (dIn < 1) throw new IllegalArgumentException("dIn must be >= 1, got " + dIn);
        this.reader = slice.reader();
        this.topic = slice.topic();
        this.values = Objects.requireNonNull(values, "values");
        this.modelId = Objects.requireNonNull(modelId, "modelId");
        this.hook = Objects.requireNonNull(hook, "hook");
        this.dIn = dIn;
    }

    @Override
    public int dIn() { return dIn; }

    @Override
    public ActivationRow next() {
        while (pending.isEmpty()) {
            ConsumerRecord<byte[], byte[]> r = reader.next();
            if (r == null) return null;
            HiddenStateSample s;
            try {
                s = values.deserialize(r.topic(), r.headers(), r.value());
            } catch (RuntimeException e) {
                skip("undecodable", r, e.getMessage());
                continue;
            }
            if (s == null) { skip("tombstone", r, null); continue; }
            if (!modelId.equals(s.getModelId())) { skip("other-model", r, s.getModelId()); continue; }
            samples++;
            int prompt = ExamplesTopicSource.promptId(r.partition(), r.offset());
            for (Activation a : s.getActivations()) {
                if (!hook.equals(a.getHook())) { skip("other-hook", r, a.getHook()); continue; }
                long n = 1;
                for (int x : a.getShape()) n *= x;
                if (n != dIn) { skip("wrong-dimension", r, "shape " + a.getShape() + " holds " + n + " values, the SAE's d_in is " + dIn); continue; }
                DType dt = DType.valueOf(a.getDtype().name());
                float[] v;
                try {
                    ByteBuffer data = a.getData();
                    v = Float16Codec.decode(dt, data, dIn);
                } catch (IllegalArgumentException e) {
                    skip("bad-data", r, e.getMessage());
                    continue;
                }
                pending.add(new ActivationRow(v, new TokenContext(token(s, a.getPosition()), context(s, a.getPosition()), prompt, a.getPosition())));
            }
        }
        rows++;
        return pending.poll();
    }

    private static String token(HiddenStateSample s, int pos) {
        List<String> text = s.getTokenText();
        if (text != null && pos >= 0 && pos < text.size()) return text.get(pos);
        List<Integer> ids = s.getTokenIds();
        return pos >= 0 && pos < ids.size() ? "#" + ids.get(pos) : "#?";
    }

    private static String context(HiddenStateSample s, int pos) {
        int len = s.getTokenText() != null ? s.getTokenText().size() : s.getTokenIds().size();
        String[] toks = new String[len];
        for (int i = 0; i < len; i++) toks[i] = token(s, i);
        return pos >= 0 && pos < len ? TokenContext.window(toks, pos) : "⟦" + token(s, pos) + "⟧";
    }

    private void skip(String reason, ConsumerRecord<byte[], byte[]> r, String detail) {
        long n = skipped.merge(reason, 1L, Long::sum);
        if (n == 1) LOG.warn("skipping {} record(s)/activation(s) of {} (first at partition {} offset {}{})", reason, topic, r.partition(), r.offset(),
                detail == null ? "" : ": " + detail);
    }

    /** Samples of the chosen model read so far. */
    public long samples() { return samples; }

    /** Rows handed out so far. */
    public long rows() { return rows; }

    /** Skips so far by reason: other-model, other-hook, wrong-dimension, bad-data, undecodable, tombstone. */
    public Map<String, Long> skipped() { return Map.copyOf(skipped); }

    @Override
    public void close() {
        reader.close();
    }
}
