package io.latentwatch.interp.reference;

import io.latentwatch.interp.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The reference's own reader and writer of llama2.c legacy (v0) checkpoints, written from the
 * layout in ../shared/models/stories260K/README.md (and llama2.c's export.py legacy_export): 7
 * little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), then
 * float32 token embedding [vocab, dim], rms_att [L, dim], wq [L, dim, dim], wk [L, kv_dim, dim],
 * wv [L, kv_dim, dim], wo [L, dim, dim], rms_ffn [L, dim], w1 [L, hidden, dim], w2 [L, dim, hidden],
 * w3 [L, hidden, dim], rms_final [dim], freq_cis_real and freq_cis_imag [seq_len, head_dim/2], and a
 * classifier [vocab, dim] only when vocab_size is negative. Deliberately independent of the
 * runtime's loader so that a loader bug shows up as a disagreement.
 */
public final class Llama2cCheckpoint {
    private Llama2cCheckpoint() {}

    public static final double EPS = 1e-5;
    public static final double THETA = 10000.0;

    public static ScalarLlama read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int dim = b.getInt(), hidden = b.getInt(), layers = b.getInt(), heads = b.getInt(), kvHeads = b.getInt();
        int vocabRaw = b.getInt(), seqLen = b.getInt();
        boolean shared = vocabRaw > 0;
        int vocab = Math.abs(vocabRaw);
        int hd = dim / heads, kvDim = kvHeads * hd;
        long need = 28L + 4L * ((long) vocab * dim + layers * (2L * dim + 2L * dim * dim + 2L * kvDim * dim + 3L * hidden * dim)
                + dim + (long) seqLen * hd + (shared ? 0 : (long) vocab * dim));
        if (bytes.length != need) throw new IOException(file + ": llama2.c v0 header (dim " + dim + ", hidden " + hidden
                + ", layers " + layers + ", heads " + heads + ", kv " + kvHeads + ", vocab " + vocabRaw + ", seq " + seqLen
                + ") implies " + need + " bytes, file has " + bytes.length);
        ScalarLlama.Weights w = new ScalarLlama.Weights(layers);
        w.tokenEmbedding = floats(b, vocab * dim);
        for (int l = 0; l < layers; l++) w.rmsAtt[l] = floats(b, dim);
        for (int l = 0; l < layers; l++) w.wq[l] = floats(b, dim * dim);
        for (int l = 0; l < layers; l++) w.wk[l] = floats(b, kvDim * dim);
        for (int l = 0; l < layers; l++) w.wv[l] = floats(b, kvDim * dim);
        for (int l = 0; l < layers; l++) w.wo[l] = floats(b, dim * dim);
        for (int l = 0; l < layers; l++) w.rmsFfn[l] = floats(b, dim);
        for (int l = 0; l < layers; l++) w.w1[l] = floats(b, hidden * dim);
        for (int l = 0; l < layers; l++) w.w2[l] = floats(b, dim * hidden);
        for (int l = 0; l < layers; l++) w.w3[l] = floats(b, hidden * dim);
        w.rmsFinal = floats(b, dim);
        b.position(b.position() + seqLen * hd * 4); // freq_cis_real + freq_cis_imag: recomputed instead
        w.classifier = shared ? w.tokenEmbedding : floats(b, vocab * dim);
        return new ScalarLlama(new ScalarLlama.Config(dim, hidden, layers, heads, kvHeads, vocab, EPS, THETA,
                ScalarLlama.Rope.ADJACENT_PAIRS), w);
    }

    /** Writes a model (adjacent-pair RoPE layout) as a llama2.c v0 file; a separate classifier makes vocab_size negative. */
    public static void write(Path file, ScalarLlama model, int seqLen) throws IOException {
        ScalarLlama.Config c = model.config();
        ScalarLlama.Weights w = model.weights();
        if (c.rope() != ScalarLlama.Rope.ADJACENT_PAIRS) throw new IllegalArgumentException("llama2.c files use adjacent-pair RoPE");
        boolean shared = w.classifier == w.tokenEmbedding;
        int hd = c.headDim(), L = c.nLayers();
        long n = 7 * 4 + 4L * ((long) c.vocabSize() * c.dim() * (shared ? 1 : 2) + L * (2L * c.dim() + 2L * c.dim() * c.dim()
                + 2L * c.kvDim() * c.dim() + 3L * c.hiddenDim() * c.dim()) + c.dim() + (long) seqLen * hd);
        ByteBuffer b = ByteBuffer.allocate((int) n).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(c.dim()).putInt(c.hiddenDim()).putInt(L).putInt(c.nHeads()).putInt(c.nKvHeads())
                .putInt(shared ? c.vocabSize() : -c.vocabSize()).putInt(seqLen);
        put(b, w.tokenEmbedding);
        for (float[] a : w.rmsAtt) put(b, a);
        for (float[] a : w.wq) put(b, a);
        for (float[] a : w.wk) put(b, a);
        for (float[] a : w.wv) put(b, a);
        for (float[] a : w.wo) put(b, a);
        for (float[] a : w.rmsFfn) put(b, a);
        for (float[] a : w.w1) put(b, a);
        for (float[] a : w.w2) put(b, a);
        for (float[] a : w.w3) put(b, a);
        put(b, w.rmsFinal);
        for (int part = 0; part < 2; part++) {
            for (int p = 0; p < seqLen; p++) for (int i = 0; i < hd / 2; i++) {
                double a = p * Math.pow(c.theta(), -2.0 * i / hd);
                b.putFloat((float) (part == 0 ? Math.cos(a) : Math.sin(a)));
            }
        }
        if (!shared) put(b, w.classifier);
        Files.write(file, b.array());
    }

    /**
     * Writes a llama2.c version 1 file (export.py version1_export): a 256-byte header (uint32 magic
     * "ak42" 0x616b3432, int32 version 1, the 7 int32 params with a positive vocab_size, a byte
     * shared_classifier, zero padding), then float32 rms_att (all layers), rms_ffn, rms_final,
     * token embedding, wq, wk, wv, wo, w1, w2, w3 (each all layers) and the classifier when not shared.
     */
    public static void writeV1(Path file, ScalarLlama model, int seqLen) throws IOException {
        ScalarLlama.Config c = model.config();
        ScalarLlama.Weights w = model.weights();
        boolean shared = w.classifier == w.tokenEmbedding;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = header(c, seqLen, 1, shared, 0);
        out.write(h.array());
        for (float[] a : w.rmsAtt) out.write(f32(a));
        for (float[] a : w.rmsFfn) out.write(f32(a));
        out.write(f32(w.rmsFinal));
        out.write(f32(w.tokenEmbedding));
        for (float[][] m : new float[][][]{w.wq, w.wk, w.wv, w.wo, w.w1, w.w2, w.w3}) for (float[] a : m) out.write(f32(a));
        if (!shared) out.write(f32(w.classifier));
        Files.write(file, out.toByteArray());
    }

    /**
     * Writes a llama2.c version 2 (Q8_0) file (export.py version2_export) and returns the model
     * with the weights the file actually encodes (dequantized q * scale), for the reference. Header
     * as v1 plus int32 group_size; then float32 rms_att, rms_ffn, rms_final; then int8 values of
     * token embedding, wq, wk, wv, wo, w1, w2, w3 (all layers each) and the classifier when not shared,
     * then all their float32 group scales in the same order. Symmetric quantisation per group:
     * scale = max|w| / 127, q = round-half-even(w / scale).
     */
    public static ScalarLlama writeV2(Path file, ScalarLlama model, int seqLen, int groupSize) throws IOException {
        ScalarLlama.Config c = model.config();
        ScalarLlama.Weights w = model.weights();
        boolean shared = w.classifier == w.tokenEmbedding;
        while (c.dim() % groupSize != 0) groupSize /= 2;
        ScalarLlama.Weights d = new ScalarLlama.Weights(c.nLayers());
        d.rmsAtt = w.rmsAtt; d.rmsFfn = w.rmsFfn; d.rmsFinal = w.rmsFinal;
        List<float[]> quantized = new ArrayList<>();
        ByteArrayOutputStream ints = new ByteArrayOutputStream(), scales = new ByteArrayOutputStream();
        Function<float[], float[]> q8 = qGroup(groupSize, ints, scales);
        d.tokenEmbedding = q8.apply(w.tokenEmbedding);
        float[][][] src = {w.wq, w.wk, w.wv, w.wo, w.w1, w.w2, w.w3};
        float[][][] dst = {d.wq, d.wk, d.wv, d.wo, d.w1, d.w2, d.w3};
        for (int m = 0; m < src.length; m++) for (int l = 0; l < c.nLayers(); l++) dst[m][l] = q8.apply(src[m][l]);
        d.classifier = shared ? d.tokenEmbedding : q8.apply(w.classifier);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header(c, seqLen, 2, shared, groupSize).array());
        for (float[] a : w.rmsAtt) out.write(f32(a));
        for (float[] a : w.rmsFfn) out.write(f32(a));
        out.write(f32(w.rmsFinal));
        out.write(ints.toByteArray());
        out.write(scales.toByteArray());
        Files.write(file, out.toByteArray());
        return new ScalarLlama(c, d);
    }

    private static Function<float[], float[]> qGroup(int gs, ByteArrayOutputStream ints,
                                                                       ByteArrayOutputStream scales) {
        return a -> {
            if (a.length % gs != 0) throw new IllegalArgumentException(a.length + " values are not a multiple of group size " + gs);
            float[] deq = new float[a.length];
            ByteBuffer sb = ByteBuffer.allocate(a.length / gs * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int g = 0; g < a.length / gs; g++) {
                float max = 0;
                for (int i = 0; i < gs; i++) max = Math.max(max, Math.abs(a[g * gs + i]));
                float scale = max / 127.0f;
                sb.putFloat(scale);
                for (int i = 0; i < gs; i++) {
                    int q = (int) Math.rint(a[g * gs + i] / scale);
                    ints.write((byte) q);
                    deq[g * gs + i] = q * scale;
                }
            }
            scales.writeBytes(sb.array());
            return deq;
        };
    }

    private static ByteBuffer header(ScalarLlama.Config c, int seqLen, int version, boolean shared, int groupSize) {
        ByteBuffer h = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0x616b3432).putInt(version);
        h.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.nLayers()).putInt(c.nHeads()).putInt(c.nKvHeads())
                .putInt(c.vocabSize()).putInt(seqLen);
        h.put((byte) (shared ? 1 : 0));
        if (version == 2) h.putInt(groupSize);
        return h;
    }

    private static byte[] f32(float[] a) {
        ByteBuffer b = ByteBuffer.allocate(a.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(a);
        return b.array();
    }

    /**
     * The same model with Hugging Face tensor names and the q/k rows permuted for rotate-half RoPE,
     * as transformers' convert_llama_weights_to_hf.py does: within each head, output row 2i moves
     * to i and row 2i+1 moves to i + d_head/2. Then rotating halves of the permuted vectors is the
     * same as rotating adjacent pairs of the original ones.
     */
    public static Map<String, Tensor> toHf(ScalarLlama model) {
        ScalarLlama.Config c = model.config();
        ScalarLlama.Weights w = model.weights();
        int d = c.dim(), hd = c.headDim(), hid = c.hiddenDim();
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", new Tensor(w.tokenEmbedding.clone(), c.vocabSize(), d));
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "self_attn.q_proj.weight", new Tensor(permuteToRotateHalf(w.wq[l], c.nHeads(), hd, d), d, d));
            t.put(p + "self_attn.k_proj.weight", new Tensor(permuteToRotateHalf(w.wk[l], c.nKvHeads(), hd, d), c.kvDim(), d));
            t.put(p + "self_attn.v_proj.weight", new Tensor(w.wv[l].clone(), c.kvDim(), d));
            t.put(p + "self_attn.o_proj.weight", new Tensor(w.wo[l].clone(), d, d));
            t.put(p + "mlp.gate_proj.weight", new Tensor(w.w1[l].clone(), hid, d));
            t.put(p + "mlp.up_proj.weight", new Tensor(w.w3[l].clone(), hid, d));
            t.put(p + "mlp.down_proj.weight", new Tensor(w.w2[l].clone(), d, hid));
            t.put(p + "input_layernorm.weight", new Tensor(w.rmsAtt[l].clone(), d));
            t.put(p + "post_attention_layernorm.weight", new Tensor(w.rmsFfn[l].clone(), d));
        }
        t.put("model.norm.weight", new Tensor(w.rmsFinal.clone(), d));
        if (w.classifier != w.tokenEmbedding) t.put("lm_head.weight", new Tensor(w.classifier.clone(), c.vocabSize(), d));
        return t;
    }

    /** Row permutation of a [heads*hd, in] projection from adjacent-pair to rotate-half layout. */
    public static float[] permuteToRotateHalf(float[] w, int heads, int hd, int in) {
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) for (int i = 0; i < hd / 2; i++) for (int a = 0; a < 2; a++) {
            int src = h * hd + 2 * i + a;
            int dst = h * hd + a * (hd / 2) + i;
            System.arraycopy(w, src * in, out, dst * in, in);
        }
        return out;
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] a = new float[n];
        b.asFloatBuffer().get(a);
        b.position(b.position() + 4 * n);
        return a;
    }

    private static void put(ByteBuffer b, float[] a) {
        for (float v : a) b.putFloat(v);
    }
}
