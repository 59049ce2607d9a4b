package io.latentwatch.node;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.interp.hooks.HookContext;
import io.latentwatch.interp.hooks.HookName;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.publisher.SamplingPolicy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Captures the sampled positions of the sampled hooks of ONE generation call, through the runtime's
 * read-only hooks, copying out only rows that may be published.
 *
 * <p>During KV-cache generation the hooks fire once on the prompt (prefill, positions 0..P-1) and
 * then once per generated token (one position each), so the sequence's final length is unknown while
 * capturing. Each position policy therefore works online:
 * <ul>
 *   <li>{@code last}: keep only the newest position (one row copied per step, the previous one dropped);</li>
 *   <li>{@code all}: keep every position;</li>
 *   <li>{@code random-k}: reservoir sampling (Vitter's algorithm R) over the positions as they stream,
 *       which yields a uniform k-subset of the positions the forward passes produced; only a row that
 *       enters the reservoir is copied. Every hook draws from its own generator with the same seed and sees the
 *       same positions stream by, so all hooks of a sample keep the same k positions (detectors that compare two
 *       hooks at one position, such as the lens trajectory, need the pair).</li>
 * </ul>
 * Positions are absolute (BOS = 0). The last generated token is never run through the model, so the
 * positions with activations are 0 .. P + generated - 2.
 */
public final class SampleCapture {
    private final SamplingPolicy.Positions policy;
    private final int k;
    private final long seed;
    private final Map<String, HookRows> rows = new LinkedHashMap<>();
    private long captureNanos; // time spent in the capture hooks (on the generation thread)

    /** Rows kept for one hook: absolute position -> values of that position (row-major, e.g. [d_model] or [heads, d_head]). */
    static final class HookRows {
        final TreeMap<Integer, float[]> byPosition = new TreeMap<>();
        int[] shape;
        long seen;
        /** Keep only the prompt's last position (the prefill call's last row), whatever the policy. */
        boolean promptEnd;
        /** random-k draws: one generator per hook, all seeded alike, so every hook keeps the SAME positions. */
        SplittableRandom random;
    }

    public SampleCapture(SamplingPolicy.Positions policy, int k, long seed) {
        this.policy = policy;
        this.k = Math.max(1, k);
        this.seed = seed;
    }

    /** Adds a read-only capture hook for each name to {@code hooks}. Attention maps are refused (no single position axis to sample). */
    public Hooks install(Hooks hooks, List<String> hookNames) {
        return install(hooks, hookNames, Set.of());
    }

    /**
     * As {@link #install(Hooks, List)}, but the hooks in {@code atPromptEnd} keep only the prompt's
     * last position (where a prompt-level behaviour such as IOI's name mover acts, Wang et al. 2022),
     * whatever the position policy.
     */
    public Hooks install(Hooks hooks, List<String> hookNames, Set<String> atPromptEnd) {
        for (String name : hookNames) {
            if (HookName.isAttentionMap(name)) {
                throw new IllegalArgumentException("hook '" + name + "' is an attention map; the node publishes per-position "
                        + "activations only (e.g. blocks.1.hook_resid_post, blocks.0.attn.hook_z)");
            }
            HookRows r = new HookRows();
            r.promptEnd = atPromptEnd.contains(name);
            r.random = new SplittableRandom(seed);
            rows.put(name, r);
            hooks.add(name, (act, ctx) -> {
                long t0 = System.nanoTime();
                capture(r, act, ctx);
                captureNanos += System.nanoTime() - t0;
                return act;
            });
        }
        return hooks;
    }

    private void capture(HookRows r, NDArray act, HookContext ctx) {
        long[] s = act.getShape().getShape();
        int t = (int) s[1];
        if (r.shape == null) {
            r.shape = new int[s.length - 2];
            for (int i = 2; i < s.length; i++) r.shape[i - 2] = Math.toIntExact(s[i]);
        }
        if (r.promptEnd) {
            // The first call is the prefill over the whole prompt; later calls are generated tokens.
            if (r.seen++ == 0) r.byPosition.put(ctx.absolutePosition(t - 1), row(act, t - 1));
            return;
        }
        switch (policy) {
            case LAST -> {
                r.byPosition.clear();
                r.byPosition.put(ctx.absolutePosition(t - 1), row(act, t - 1));
            }
            case ALL -> {
                float[] all = toFloats(act);
                int width = all.length / t;
                for (int i = 0; i < t; i++) r.byPosition.put(ctx.absolutePosition(i), Arrays.copyOfRange(all, i * width, (i + 1) * width));
            }
            case RANDOM_K -> {
                for (int i = 0; i < t; i++) {
                    long n = r.seen++;
                    if (n < k) {
                        r.byPosition.put(ctx.absolutePosition(i), row(act, i));
                    } else {
                        long j = r.random.nextLong(n + 1);
                        if (j < k) {
                            // Replace a uniformly chosen member (the j-th smallest is as good as any: uniform over members).
                            Integer victim = nth(r.byPosition, (int) j);
                            r.byPosition.remove(victim);
                            r.byPosition.put(ctx.absolutePosition(i), row(act, i));
                        }
                    }
                }
            }
        }
    }

    private static Integer nth(TreeMap<Integer, float[]> m, int j) {
        int i = 0;
        for (Integer key : m.keySet()) if (i++ == j) return key;
        throw new IllegalStateException("reservoir smaller than " + (j + 1));
    }

    private static float[] row(NDArray act, int i) {
        // A generated-token step ([1, 1, ...]) is already the row: copy it out without an indexing op.
        if (act.getShape().get(0) == 1 && act.getShape().get(1) == 1) return toFloats(act);
        return toFloats(act.get(new NDIndex("0, {}", i)));
    }

    private static float[] toFloats(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** Nanoseconds the capture hooks took so far (the sampling work done inside the generation loop). */
    public long captureNanos() { return captureNanos; }

    /** One captured row. */
    public record Row(String hook, int position, int[] shape, float[] values) {}

    /**
     * The captured rows, hook by hook in the order installed, positions ascending, limited to
     * positions below {@code validLength} (positions whose token is part of the final sequence).
     */
    public List<Row> rows(int validLength) {
        List<Row> out = new ArrayList<>();
        rows.forEach((hook, r) -> r.byPosition.forEach((pos, v) -> {
            if (pos < validLength) out.add(new Row(hook, pos, r.shape, v));
        }));
        return out;
    }
}
