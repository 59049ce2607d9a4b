package io.latentwatch.interp.model;

import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * A whole checkpoint as float32 Java tensors in the canonical layout (see {@link LayerWeights}),
 * independent of the file format it came from. {@link #validate()} checks every shape against the config.
 *
 * @param wE      [vocab, d_model] token embedding
 * @param wPos    [n_ctx, d_model] learned positions (GPT-2) or null
 * @param lnFinalW [d_model]
 * @param lnFinalB [d_model] or null
 * @param wU      [d_model, vocab] unembedding (the transposed wE when tied)
 * @param bU      [vocab] or null
 */
public record ModelWeights(ModelConfig config, Tensor wE, Tensor wPos, List<LayerWeights> layers, Tensor lnFinalW,
                           Tensor lnFinalB, Tensor wU, Tensor bU) {

    /** Throws with the tensor name, expected and found shapes for the first mismatch. */
    public ModelWeights validate() throws IOException {
        ModelConfig c = config;
        int d = c.dModel();
        check("W_E", wE, c.vocabSize(), d);
        boolean gpt2 = c.architecture() == Architecture.GPT2;
        if (gpt2) check("W_pos", wPos, c.nCtx(), d);
        check("ln_final.w", lnFinalW, d);
        if (gpt2) check("ln_final.b", lnFinalB, d);
        check("W_U", wU, d, c.vocabSize());
        if (bU != null) check("b_U", bU, c.vocabSize());
        if (layers.size() != c.nLayers()) {
            throw new IOException("expected " + c.nLayers() + " layers but found " + layers.size());
        }
        for (int l = 0; l < layers.size(); l++) {
            LayerWeights w = layers.get(l);
            String p = "blocks." + l + ".";
            check(p + "ln1.w", w.ln1W(), d);
            check(p + "attn.W_Q", w.wQ(), d, c.qDim());
            check(p + "attn.W_K", w.wK(), d, c.kvDim());
            check(p + "attn.W_V", w.wV(), d, c.kvDim());
            check(p + "attn.W_O", w.wO(), c.qDim(), d);
            check(p + "ln2.w", w.ln2W(), d);
            if (c.isLlama()) check(p + "mlp.W_gate", w.wGate(), d, c.dMlp());
            check(p + "mlp.W_in", w.wIn(), d, c.dMlp());
            check(p + "mlp.W_out", w.wOut(), c.dMlp(), d);
            if (gpt2) {
                check(p + "ln1.b", w.ln1B(), d);
                check(p + "ln2.b", w.ln2B(), d);
                check(p + "attn.b_Q", w.bQ(), c.qDim());
                check(p + "attn.b_K", w.bK(), c.kvDim());
                check(p + "attn.b_V", w.bV(), c.kvDim());
                check(p + "attn.b_O", w.bO(), d);
                check(p + "mlp.b_in", w.bIn(), c.dMlp());
                check(p + "mlp.b_out", w.bOut(), d);
            }
        }
        return this;
    }

    private static void check(String name, Tensor t, int... shape) throws IOException {
        if (t == null) throw new IOException("missing tensor " + name + " (expected shape " + Arrays.toString(shape) + ")");
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IOException("tensor " + name + ": expected shape " + Arrays.toString(shape) + " but found "
                    + Arrays.toString(t.shape()));
        }
    }

    /** Transposes a row-major [rows, cols] matrix: used to turn [out, in] file layouts into [in, out]. */
    public static Tensor transpose(Tensor m) {
        int rows = m.dim(0), cols = m.dim(1);
        float[] src = m.data();
        float[] dst = new float[src.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
        }
        return new Tensor(dst, cols, rows);
    }

    /**
     * Reorders the output rows of an [out, in] q or k projection from llama2.c's adjacent-pair RoPE
     * layout (pairs (2i, 2i+1)) to the rotate-half layout (pairs (i, i + d_head/2)): within every head,
     * new row j < d/2 takes old row 2j and new row d/2 + j takes old row 2j + 1. This is the permutation
     * of Hugging Face's convert_llama_weights_to_hf.py, which makes the two RoPE conventions agree.
     */
    public static Tensor adjacentToRotateHalf(Tensor outIn, int nHeads, int dHead) {
        int in = outIn.dim(1);
        float[] src = outIn.data();
        float[] dst = new float[src.length];
        int half = dHead / 2;
        for (int h = 0; h < nHeads; h++) {
            for (int j = 0; j < half; j++) {
                System.arraycopy(src, (h * dHead + 2 * j) * in, dst, (h * dHead + j) * in, in);
                System.arraycopy(src, (h * dHead + 2 * j + 1) * in, dst, (h * dHead + half + j) * in, in);
            }
        }
        return new Tensor(dst, outIn.dim(0), in);
    }

    /** The inverse of {@link #adjacentToRotateHalf}. */
    public static Tensor rotateHalfToAdjacent(Tensor outIn, int nHeads, int dHead) {
        int in = outIn.dim(1);
        float[] src = outIn.data();
        float[] dst = new float[src.length];
        int half = dHead / 2;
        for (int h = 0; h < nHeads; h++) {
            for (int j = 0; j < half; j++) {
                System.arraycopy(src, (h * dHead + j) * in, dst, (h * dHead + 2 * j) * in, in);
                System.arraycopy(src, (h * dHead + half + j) * in, dst, (h * dHead + 2 * j + 1) * in, in);
            }
        }
        return new Tensor(dst, outIn.dim(0), in);
    }
}
