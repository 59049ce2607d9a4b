package io.latentwatch.interp.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.latentwatch.interp.model.TransformerForward;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The zoo's compact functional Llama forward on DJL NDArrays, differentiable under a
 * {@link ai.djl.training.GradientCollector}. Parameters carry the Hugging Face names and layouts
 * ({@code [out, in]} projections), and RoPE uses HF's rotate-half convention (pairs (i, i + d/2)),
 * so the saved tensors are a correct HF {@code LlamaForCausalLM} checkpoint without permutation.
 *
 * <p>Written in the zoo package because the training recipe needed a forward before the runtime's
 * hooked transformer existed; it exposes only two hook points ({@code attn.hook_z} per head and
 * {@code attn.hook_pattern}), which is what head ablation and attention scoring need.
 */
public final class ZooLlama implements AutoCloseable {
    /** Read/replace hooks for circuit work; defaults do nothing. */
    public interface Hooks {
        /** {@code blocks.L.attn.hook_z}, shape [batch, head, pos, d_head]; return the value to use. */
        default NDArray z(int layer, NDArray z) { return z; }

        /** {@code blocks.L.attn.hook_pattern}, shape [batch, head, query, key]. */
        default void pattern(int layer, NDArray pattern) {}
    }

    public static final Hooks NO_HOOKS = new Hooks() {};

    private final ZooConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;
    private final NDArray cos, sin, causal;

    private ZooLlama(ZooConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
        int dh = config.headDim(), maxPos = config.maxPositions();
        float[] c = new float[maxPos * dh], s = new float[maxPos * dh];
        for (int t = 0; t < maxPos; t++) {
            for (int i = 0; i < dh / 2; i++) {
                // HF LlamaRotaryEmbedding: inv_freq_i = theta^(-2i/d), emb = cat(freqs, freqs)
                double ang = t * Math.pow(config.ropeTheta(), -2.0 * i / dh);
                c[t * dh + i] = c[t * dh + i + dh / 2] = (float) Math.cos(ang);
                s[t * dh + i] = s[t * dh + i + dh / 2] = (float) Math.sin(ang);
            }
        }
        this.cos = manager.create(c, new Shape(maxPos, dh));
        this.sin = manager.create(s, new Shape(maxPos, dh));
        float[] m = new float[maxPos * maxPos];
        for (int q = 0; q < maxPos; q++) for (int k = q + 1; k < maxPos; k++) m[q * maxPos + k] = -1e9f;
        this.causal = manager.create(m, new Shape(maxPos, maxPos));
    }

    public ZooConfig config() { return config; }

    public NDManager manager() { return manager; }

    /** Parameters by HF tensor name (live arrays: the trainer updates them in place). */
    public Map<String, NDArray> parameters() { return params; }

    /** Fresh weights: N(0, 0.02) matrices, residual-writing projections scaled by 1/sqrt(2 L) (GPT-2), unit norms. */
    public static ZooLlama init(ZooConfig c, long seed, NDManager parent) {
        NDManager m = parent.newSubManager();
        Random r = new Random(seed);
        Map<String, NDArray> p = new LinkedHashMap<>();
        int d = c.hiddenSize(), f = c.intermediateSize(), v = c.vocabSize();
        double resid = 0.02 / Math.sqrt(2.0 * c.numLayers());
        p.put("model.embed_tokens.weight", gaussian(m, r, 0.02, v, d));
        for (int l = 0; l < c.numLayers(); l++) {
            String b = "model.layers." + l + ".";
            p.put(b + "input_layernorm.weight", m.ones(new Shape(d)));
            p.put(b + "self_attn.q_proj.weight", gaussian(m, r, 0.02, d, d));
            p.put(b + "self_attn.k_proj.weight", gaussian(m, r, 0.02, d, d));
            p.put(b + "self_attn.v_proj.weight", gaussian(m, r, 0.02, d, d));
            p.put(b + "self_attn.o_proj.weight", gaussian(m, r, resid, d, d));
            p.put(b + "post_attention_layernorm.weight", m.ones(new Shape(d)));
            p.put(b + "mlp.gate_proj.weight", gaussian(m, r, 0.02, f, d));
            p.put(b + "mlp.up_proj.weight", gaussian(m, r, 0.02, f, d));
            p.put(b + "mlp.down_proj.weight", gaussian(m, r, resid, d, f));
        }
        p.put("model.norm.weight", m.ones(new Shape(d)));
        if (!c.tieWordEmbeddings()) p.put("lm_head.weight", gaussian(m, r, 0.02, v, d));
        return new ZooLlama(c, m, p);
    }

    private static NDArray gaussian(NDManager m, Random r, double std, int rows, int cols) {
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * std);
        return m.create(a, new Shape(rows, cols));
    }

    /** Loads a zoo HF Llama directory (config.json + model.safetensors). */
    public static ZooLlama load(Path dir, NDManager parent) throws IOException {
        ZooConfig c = ZooConfig.read(dir.resolve("config.json"));
        SafeTensors st = SafeTensors.open(dir.resolve("model.safetensors"));
        NDManager m = parent.newSubManager();
        ZooLlama shapes = init(c, 0, m); // for the expected names and shapes
        Map<String, NDArray> p = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : shapes.params.entrySet()) {
            long[] s = e.getValue().getShape().getShape();
            int[] expected = new int[s.length];
            for (int i = 0; i < s.length; i++) expected[i] = (int) s[i];
            Tensor t = st.get(e.getKey(), expected);
            p.put(e.getKey(), m.create(t.data(), new Shape(s)));
        }
        shapes.close();
        return new ZooLlama(c, m, p);
    }

    /** Writes config.json and model.safetensors (HF names) into {@code dir}. */
    public void save(Path dir, Map<String, String> metadata, DType dtype) throws IOException {
        Files.createDirectories(dir);
        config.write(dir.resolve("config.json"));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            long[] s = e.getValue().getShape().getShape();
            int[] shape = new int[s.length];
            for (int i = 0; i < s.length; i++) shape[i] = (int) s[i];
            out.put(e.getKey(), new Tensor(e.getValue().toFloatArray(), shape));
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putIfAbsent("format", "pt");
        SafeTensors.write(dir.resolve("model.safetensors"), out, meta, dtype);
    }

    private NDArray p(String name) { return params.get(name); }

    /** Token ids [batch][pos] as an int64 NDArray in {@code m}. */
    public static NDArray ids(NDManager m, int[][] tokens) {
        int b = tokens.length, t = tokens[0].length;
        long[] flat = new long[b * t];
        for (int i = 0; i < b; i++) {
            if (tokens[i].length != t) throw new IllegalArgumentException("ragged batch: row " + i + " has " + tokens[i].length + " tokens, row 0 has " + t);
            for (int j = 0; j < t; j++) flat[i * t + j] = tokens[i][j];
        }
        return m.create(flat, new Shape(b, t));
    }

    private NDArray rms(NDArray x, NDArray w) {
        NDArray ms = x.mul(x).mean(new int[] {-1}, true);
        NDArray var = ms.add((float) config.rmsNormEps());
        return x.mul(var.pow(TransformerForward.scalar(var, -0.5f))).mul(w); // not pow(-0.5f): see TransformerForward.scalar
    }

    private static NDArray linear(NDArray x, NDArray w) { return x.matMul(w.transpose()); }

    private NDArray rope(NDArray x, int t) {
        int half = config.headDim() / 2;
        NDArray x1 = x.get(new NDIndex("..., :" + half)), x2 = x.get(new NDIndex("..., " + half + ":"));
        NDArray rotated = NDArrays.concat(new NDList(x2.neg(), x1), -1);
        NDArray c = cos.get(new NDIndex(":" + t)), s = sin.get(new NDIndex(":" + t));
        return x.mul(c).add(rotated.mul(s));
    }

    /** Logits [batch, pos, vocab] for token ids [batch, pos]. */
    public NDArray forward(NDArray ids, Hooks hooks) {
        long[] shape = ids.getShape().getShape();
        int b = (int) shape[0], t = (int) shape[1];
        if (t > config.maxPositions()) throw new IllegalArgumentException("sequence of " + t + " tokens exceeds max_position_embeddings " + config.maxPositions());
        int h = config.numHeads(), dh = config.headDim(), d = config.hiddenSize();
        NDArray x = p("model.embed_tokens.weight").get(new NDIndex("{}", ids.reshape(-1))).reshape(b, t, d);
        NDArray mask = causal.get(new NDIndex(":" + t + ", :" + t));
        float scale = (float) (1.0 / Math.sqrt(dh));
        for (int l = 0; l < config.numLayers(); l++) {
            String pre = "model.layers." + l + ".";
            NDArray hN = rms(x, p(pre + "input_layernorm.weight"));
            NDArray q = rope(linear(hN, p(pre + "self_attn.q_proj.weight")).reshape(b, t, h, dh).transpose(0, 2, 1, 3), t);
            NDArray k = rope(linear(hN, p(pre + "self_attn.k_proj.weight")).reshape(b, t, h, dh).transpose(0, 2, 1, 3), t);
            NDArray v = linear(hN, p(pre + "self_attn.v_proj.weight")).reshape(b, t, h, dh).transpose(0, 2, 1, 3);
            NDArray qk = q.matMul(k.transpose(0, 1, 3, 2));
            NDArray scores = qk.mul(TransformerForward.scalar(qk, scale)).add(mask); // not mul(scale): see TransformerForward.scalar
            NDArray pattern = scores.softmax(-1);
            hooks.pattern(l, pattern);
            NDArray z = hooks.z(l, pattern.matMul(v));
            NDArray attn = linear(z.transpose(0, 2, 1, 3).reshape(b, t, d), p(pre + "self_attn.o_proj.weight"));
            x = x.add(attn);
            NDArray h2 = rms(x, p(pre + "post_attention_layernorm.weight"));
            NDArray gate = linear(h2, p(pre + "mlp.gate_proj.weight"));
            NDArray act = gate.mul(Activation.sigmoid(gate)).mul(linear(h2, p(pre + "mlp.up_proj.weight")));
            x = x.add(linear(act, p(pre + "mlp.down_proj.weight")));
        }
        x = rms(x, p("model.norm.weight"));
        return linear(x, config.tieWordEmbeddings() ? p("model.embed_tokens.weight") : p("lm_head.weight"));
    }

    /** Mean next-token cross-entropy of windows [batch][len+1] (inputs = all but last, targets = all but first). */
    public NDArray loss(int[][] windows, NDManager m) {
        int b = windows.length, t = windows[0].length - 1;
        int[][] in = new int[b][t], tgt = new int[b][t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(windows[i], 0, in[i], 0, t);
            System.arraycopy(windows[i], 1, tgt[i], 0, t);
        }
        NDArray logits = forward(ids(m, in), NO_HOOKS);
        NDArray logp = logits.logSoftmax(-1);
        NDArray onehot = ids(m, tgt).oneHot(config.vocabSize(), DataType.FLOAT32);
        NDArray total = logp.mul(onehot).sum().neg();
        return total.div(TransformerForward.scalar(total, b * t)); // not div(float): see TransformerForward.scalar
    }

    public long parameterCount() {
        return params.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    @Override public void close() { manager.close(); }
}
