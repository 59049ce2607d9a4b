package io.latentwatch.interp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The weights as DJL NDArrays in the layout the forward pass multiplies with: per block one fused
 * QKV matrix [d_model, (n_heads + 2 n_kv_heads) d_head] and, for Llama, one fused gate|up matrix
 * [d_model, 2 d_mlp], so each projection is a single matmul. Every field may require gradients
 * (call {@link #parameters()} and {@code setRequiresGradient(true)}) so a trainer can reuse
 * {@link TransformerForward} under DJL autograd. {@code wU == null} means tied: the forward uses wE^T.
 */
public final class TransformerParams {

    /** One block; biases and LayerNorm biases are null for Llama, wGateIn is [gate | in] for Llama, wIn alone for GPT-2. */
    public static final class Block {
        public NDArray ln1W, ln1B, wQKV, bQKV, wO, bO, ln2W, ln2B, wMlpIn, bMlpIn, wOut, bOut;
    }

    public final ModelConfig config;
    public NDArray wE, wPos, lnFinalW, lnFinalB, wU, bU;
    public final List<Block> blocks = new ArrayList<>();
    /** RoPE tables [n_ctx, d_head] (rotate-half layout): constants, never trained. Null for GPT-2. */
    public NDArray ropeCos, ropeSin;
    /** [d_head, d_head] signed permutation with x R = rotate_half(x) = [-x2, x1]. */
    public NDArray ropeRotate;

    public TransformerParams(ModelConfig config) {
        this.config = config;
    }

    /** Copies Java weights into NDArrays owned by {@code manager}. */
    public static TransformerParams fromWeights(ModelWeights w, NDManager manager) {
        ModelConfig c = w.config();
        TransformerParams p = new TransformerParams(c);
        p.wE = nd(manager, w.wE());
        p.wPos = nd(manager, w.wPos());
        p.lnFinalW = nd(manager, w.lnFinalW());
        p.lnFinalB = nd(manager, w.lnFinalB());
        // tied models multiply by a transposed view of wE (BLAS handles the transpose): no second copy
        p.wU = c.tiedEmbeddings() ? null : nd(manager, w.wU());
        p.bU = nd(manager, w.bU());
        for (LayerWeights l : w.layers()) {
            Block b = new Block();
            b.ln1W = nd(manager, l.ln1W());
            b.ln1B = nd(manager, l.ln1B());
            b.wQKV = nd(manager, concatCols(l.wQ(), l.wK(), l.wV()));
            b.bQKV = l.bQ() == null ? null : nd(manager, concatVec(l.bQ(), l.bK(), l.bV()));
            b.wO = nd(manager, l.wO());
            b.bO = nd(manager, l.bO());
            b.ln2W = nd(manager, l.ln2W());
            b.ln2B = nd(manager, l.ln2B());
            b.wMlpIn = nd(manager, c.isLlama() ? concatCols(l.wGate(), l.wIn()) : l.wIn());
            b.bMlpIn = nd(manager, l.bIn());
            b.wOut = nd(manager, l.wOut());
            b.bOut = nd(manager, l.bOut());
            p.blocks.add(b);
        }
        p.initRope(manager);
        return p;
    }

    /** Fills the RoPE tables: cos/sin(pos * theta^(-2j/d_head)) at columns j and j + d_head/2, computed in
     * float32 like Hugging Face's LlamaRotaryEmbedding and llama2.c's run.c. */
    public void initRope(NDManager manager) {
        if (!config.isLlama()) return;
        int dh = config.dHead(), half = dh / 2, n = config.nCtx();
        float[] cos = new float[n * dh], sin = new float[n * dh];
        for (int j = 0; j < half; j++) {
            float freq = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * j) / dh));
            for (int pos = 0; pos < n; pos++) {
                float v = pos * freq;
                float cv = (float) Math.cos(v), sv = (float) Math.sin(v);
                cos[pos * dh + j] = cv;
                cos[pos * dh + half + j] = cv;
                sin[pos * dh + j] = sv;
                sin[pos * dh + half + j] = sv;
            }
        }
        float[] r = new float[dh * dh];
        for (int j = 0; j < half; j++) {
            r[(half + j) * dh + j] = -1f; // out[j] = -x[half + j]
            r[j * dh + half + j] = 1f;    // out[half + j] = x[j]
        }
        ropeRotate = manager.create(r, new Shape(dh, dh));
        ropeCos = manager.create(cos, new Shape(n, dh));
        ropeSin = manager.create(sin, new Shape(n, dh));
    }

    /** The trainable arrays (everything but the RoPE tables), in a fixed order. */
    public NDList parameters() {
        NDList out = new NDList();
        for (NDArray a : new NDArray[]{wE, wPos, lnFinalW, lnFinalB, wU, bU}) if (a != null) out.add(a);
        for (Block b : blocks) {
            for (NDArray a : new NDArray[]{b.ln1W, b.ln1B, b.wQKV, b.bQKV, b.wO, b.bO, b.ln2W, b.ln2B, b.wMlpIn, b.bMlpIn, b.wOut, b.bOut}) {
                if (a != null) out.add(a);
            }
        }
        return out;
    }

    /** Copies the NDArrays back to Java weights in the canonical layout (splitting the fused matrices). */
    public ModelWeights toWeights() {
        ModelConfig c = config;
        List<LayerWeights> layers = new ArrayList<>();
        int qd = c.qDim(), kd = c.kvDim(), m = c.dMlp();
        for (Block b : blocks) {
            Tensor qkv = tensor(b.wQKV);
            Tensor[] parts = splitCols(qkv, qd, kd, kd);
            Tensor[] bparts = b.bQKV == null ? new Tensor[3] : splitVec(tensor(b.bQKV), qd, kd, kd);
            Tensor gate = null, in;
            if (c.isLlama()) {
                Tensor[] gi = splitCols(tensor(b.wMlpIn), m, m);
                gate = gi[0];
                in = gi[1];
            } else {
                in = tensor(b.wMlpIn);
            }
            layers.add(new LayerWeights(tensor(b.ln1W), tensor(b.ln1B), parts[0], parts[1], parts[2], bparts[0], bparts[1],
                    bparts[2], tensor(b.wO), tensor(b.bO), tensor(b.ln2W), tensor(b.ln2B), gate, in, tensor(b.bMlpIn),
                    tensor(b.wOut), tensor(b.bOut)));
        }
        Tensor e = tensor(wE);
        Tensor u = wU == null ? ModelWeights.transpose(e) : tensor(wU);
        return new ModelWeights(c, e, tensor(wPos), layers, tensor(lnFinalW), tensor(lnFinalB), u, tensor(bU));
    }

    static NDArray nd(NDManager m, Tensor t) {
        if (t == null) return null;
        long[] s = new long[t.rank()];
        for (int i = 0; i < s.length; i++) s[i] = t.dim(i);
        return m.create(t.data(), new Shape(s));
    }

    static Tensor tensor(NDArray a) {
        if (a == null) return null;
        long[] s = a.getShape().getShape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) shape[i] = Math.toIntExact(s[i]);
        return new Tensor(a.toFloatArray(), shape);
    }

    static Tensor concatCols(Tensor... mats) {
        int rows = mats[0].dim(0), cols = 0;
        for (Tensor t : mats) cols += t.dim(1);
        float[] out = new float[rows * cols];
        int off = 0;
        for (Tensor t : mats) {
            int w = t.dim(1);
            for (int r = 0; r < rows; r++) System.arraycopy(t.data(), r * w, out, r * cols + off, w);
            off += w;
        }
        return new Tensor(out, rows, cols);
    }

    static Tensor concatVec(Tensor... vs) {
        int n = 0;
        for (Tensor t : vs) n += t.size();
        float[] out = new float[n];
        int off = 0;
        for (Tensor t : vs) {
            System.arraycopy(t.data(), 0, out, off, t.size());
            off += t.size();
        }
        return new Tensor(out, n);
    }

    static Tensor[] splitCols(Tensor m, int... widths) {
        int rows = m.dim(0), cols = m.dim(1);
        Tensor[] out = new Tensor[widths.length];
        int off = 0;
        for (int i = 0; i < widths.length; i++) {
            float[] d = new float[rows * widths[i]];
            for (int r = 0; r < rows; r++) System.arraycopy(m.data(), r * cols + off, d, r * widths[i], widths[i]);
            out[i] = new Tensor(d, rows, widths[i]);
            off += widths[i];
        }
        return out;
    }

    static Tensor[] splitVec(Tensor v, int... widths) {
        Tensor[] out = new Tensor[widths.length];
        int off = 0;
        for (int i = 0; i < widths.length; i++) {
            out[i] = new Tensor(Arrays.copyOfRange(v.data(), off, off + widths[i]), widths[i]);
            off += widths[i];
        }
        return out;
    }
}
