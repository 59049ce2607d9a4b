package io.latentwatch.interp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.hooks.HookContext;
import io.latentwatch.interp.hooks.Hooks;
import java.util.Arrays;

/**
 * The functional forward pass over {@link TransformerParams}: plain NDArray operations, so it runs under
 * DJL autograd when the parameters require gradients (the zoo trainer, tuned-lens and SAE code reuse it).
 * It does not free anything: the caller scopes it (HookedTransformer wraps it in an NDScope).
 *
 * <p>Definitions (TransformerLens / Hugging Face): Llama block x += Attn(RMSNorm(x)); x += W_down(SiLU(W_gate n) *
 * W_up n) with n = RMSNorm(x); RMSNorm(x) = x / sqrt(mean(x^2) + eps) * g; attention softmax(q k^T / sqrt(d_head)
 * + causal mask) v with rotate-half RoPE on q and k and grouped-query sharing (head h reads kv head h / group).
 * GPT-2 block: LayerNorm, biased fused QKV, GELU tanh approximation, learned positions, tied unembedding.
 */
public final class TransformerForward {
    private TransformerForward() {}

    /** Logits [batch, t, vocab] for token ids [batch, t] (int32 or int64), no hooks, no cache. */
    public static NDArray forward(TransformerParams p, NDArray tokens) {
        long[] s = tokens.getShape().getShape();
        int[] lengths = new int[(int) s[0]];
        Arrays.fill(lengths, (int) s[1]);
        return forward(p, tokens, 0, lengths, true, Hooks.none(), null);
    }

    /**
     * @param tokens         [batch, t] token ids of the new positions
     * @param positionOffset absolute position of tokens[:, 0] (the KV cache length when generating)
     * @param lengths        real total length of each row (right padding beyond it is masked out as keys)
     * @param batched        passed to hooks (whether the caller sees a batch axis)
     * @param hooks          hook functions for this call (never null; {@link Hooks#none()})
     * @param cache          KV cache to read and extend, or null
     * @return logits [batch, t, vocab]
     */
    public static NDArray forward(TransformerParams p, NDArray tokens, int positionOffset, int[] lengths, boolean batched,
                                  Hooks hooks, KvCache cache) {
        ModelConfig c = p.config;
        NDManager m = tokens.getManager();
        long[] ts = tokens.getShape().getShape();
        if (ts.length != 2) throw new IllegalArgumentException("tokens must be [batch, t], got " + tokens.getShape());
        int b = (int) ts[0], t = (int) ts[1];
        int tk = positionOffset + t;
        if (tk > c.nCtx()) {
            throw new IllegalArgumentException("sequence of " + tk + " positions exceeds the model's context of " + c.nCtx());
        }
        int d = c.dModel(), h = c.nHeads(), hkv = c.nKvHeads(), dh = c.dHead();

        Sites sites = new Sites(hooks, positionOffset, lengths, batched, m);
        NDArray resid = p.wE.get(new NDIndex("{}", tokens.flatten())).reshape(b, t, d);
        resid = sites.fire("hook_embed", -1, resid);
        if (p.wPos != null) {
            NDArray pos = p.wPos.get(positionOffset + ":" + tk).expandDims(0).broadcast(b, t, d);
            pos = sites.fire("hook_pos_embed", -1, pos);
            resid = resid.add(pos);
        }
        NDArray mask = causalMask(m, b, t, positionOffset, lengths);
        NDArray cos = null, sin = null;
        if (c.isLlama()) {
            cos = p.ropeCos.get(positionOffset + ":" + tk).reshape(1, t, 1, dh);
            sin = p.ropeSin.get(positionOffset + ":" + tk).reshape(1, t, 1, dh);
        }
        float scale = (float) (1.0 / Math.sqrt(dh));
        for (int l = 0; l < c.nLayers(); l++) {
            TransformerParams.Block w = p.blocks.get(l);
            BlockSites at = sites.block(l);
            resid = at.fire("hook_resid_pre", resid);

            NDArray n1 = at.fire("ln1.hook_normalized", normalize(c, resid));
            NDArray x1 = affine(n1, w.ln1W, w.ln1B);
            NDArray qkv = x1.matMul(w.wQKV);
            if (w.bQKV != null) qkv = qkv.add(w.bQKV);
            int qd = c.qDim(), kd = c.kvDim();
            NDArray q = qkv.get(":, :, 0:" + qd).reshape(b, t, h, dh);
            NDArray k = qkv.get(":, :, " + qd + ":" + (qd + kd)).reshape(b, t, hkv, dh);
            NDArray v = qkv.get(":, :, " + (qd + kd) + ":").reshape(b, t, hkv, dh);
            q = at.fire("attn.hook_q", q);
            k = at.fire("attn.hook_k", k);
            v = at.fire("attn.hook_v", v);
            if (c.isLlama()) {
                q = at.fire("attn.hook_rot_q", rope(q, cos, sin, p.ropeRotate));
                k = at.fire("attn.hook_rot_k", rope(k, cos, sin, p.ropeRotate));
            }
            NDArray qh = q.transpose(0, 2, 1, 3);                 // [b, h, t, dh]
            NDArray kh = k.transpose(0, 2, 1, 3);                 // [b, hkv, t, dh]
            NDArray vh = v.transpose(0, 2, 1, 3);
            if (cache != null) {
                NDArray[] kv = cache.append(l, kh, vh);
                kh = kv[0];
                vh = kv[1];
            }
            // grouped-query attention without copying k/v per head: fold the g query heads that share a kv head
            // into the query axis, [b, hkv, g*t, dh] x [b, hkv, dh, tk] (head i reads kv head i / g, as in llama2.c/HF)
            int g = h / hkv;
            NDArray qk = qh.reshape(b, hkv, (long) g * t, dh).matMul(kh.transpose(0, 1, 3, 2)).reshape(b, h, t, tk);
            NDArray scores = qk.mul(scalar(qk, scale));
            if (mask != null) scores = scores.add(mask); // 0 where allowed, -inf where masked: exact for allowed entries
            scores = at.fire("attn.hook_attn_scores", scores);
            NDArray pattern = at.fire("attn.hook_pattern", scores.softmax(-1));
            NDArray z = pattern.reshape(b, hkv, (long) g * t, tk).matMul(vh).reshape(b, h, t, dh).transpose(0, 2, 1, 3); // [b, t, h, dh]
            z = at.fire("attn.hook_z", z);
            NDArray attnOut = null;
            if (at.has("attn.hook_result")) {
                // per-head outputs z_h W_O[h] (TransformerLens use_attn_result): [b, t, h, d]; costs h x memory.
                // Only a hook that replaced them switches attn_out to their sum, so reading/caching hook_result
                // leaves the numbers bit-identical to a plain forward.
                NDArray result = z.transpose(0, 2, 1, 3).matMul(w.wO.reshape(h, dh, d)).transpose(0, 2, 1, 3);
                NDArray hooked = at.fire("attn.hook_result", result);
                if (hooked != result) attnOut = hooked.sum(new int[]{2});
            }
            if (attnOut == null) attnOut = z.reshape(b, t, h * dh).matMul(w.wO);
            if (w.bO != null) attnOut = attnOut.add(w.bO);
            attnOut = at.fire("hook_attn_out", attnOut);
            resid = at.fire("hook_resid_mid", resid.add(attnOut));

            NDArray n2 = at.fire("ln2.hook_normalized", normalize(c, resid));
            NDArray x2 = affine(n2, w.ln2W, w.ln2B);
            NDArray mid = x2.matMul(w.wMlpIn);
            NDArray post;
            if (c.isLlama()) {
                int dm = c.dMlp();
                // contiguous copies: PyTorch's vectorised sigmoid can round differently on strided views, and a
                // patched (contiguous) activation must reproduce the clean run bit for bit. The copy must stay on
                // the autograd graph: DJL's duplicate() clones under NoGradGuard, which silently cut the gradient
                // to W_gate/W_up, ln2 and the residual stream's MLP branch. x * 1 is an exact (bitwise, -0 and
                // NaN included) differentiable copy, written contiguously for a [.., 0:dm] slice.
                NDArray gate = at.fire("mlp.hook_pre", contiguousCopy(mid.get(":, :, 0:" + dm)));
                NDArray up = at.fire("mlp.hook_pre_linear", contiguousCopy(mid.get(":, :, " + dm + ":")));
                post = silu(gate).mul(up);
            } else {
                if (w.bMlpIn != null) mid = mid.add(w.bMlpIn);
                NDArray preAct = at.fire("mlp.hook_pre", mid);
                post = geluTanh(preAct);
            }
            post = at.fire("mlp.hook_post", post);
            NDArray mlpOut = post.matMul(w.wOut);
            if (w.bOut != null) mlpOut = mlpOut.add(w.bOut);
            mlpOut = at.fire("hook_mlp_out", mlpOut);
            resid = at.fire("hook_resid_post", resid.add(mlpOut));
        }
        NDArray nf = sites.fire("ln_final.hook_normalized", -1, normalize(c, resid));
        return head(p, nf);
    }

    /**
     * The model's head on residual vectors x [..., d_model] -> logits [..., vocab]: the final norm (RMSNorm for
     * Llama, LayerNorm for GPT-2, with gain and bias) then the unembedding (and its bias). On the last block's
     * hook_resid_post this is the model's output; on earlier residuals it is the logit lens (nostalgebraist 2020)
     * and the tuned lens after its translator. Plain NDArray ops, so it runs under autograd.
     */
    public static NDArray unembed(TransformerParams p, NDArray x) {
        return head(p, normalize(p.config, x));
    }

    /** The final norm's gain/bias and the unembedding on normalised vectors (ln_final.hook_normalized). */
    private static NDArray head(TransformerParams p, NDArray normalized) {
        NDArray xf = affine(normalized, p.lnFinalW, p.lnFinalB);
        NDArray logits = p.wU != null ? xf.matMul(p.wU) : xf.matMul(p.wE.transpose());
        if (p.bU != null) logits = logits.add(p.bU);
        return logits;
    }

    /**
     * The hook sites of one forward call: what every {@link HookContext} of the call shares (position offset, row
     * lengths, batching, the call's manager). A hook that is not registered costs one map lookup.
     */
    private record Sites(Hooks hooks, int offset, int[] lengths, boolean batched, NDManager m) {
        NDArray fire(String name, int layer, NDArray act) {
            if (!hooks.has(name)) return act;
            return hooks.fire(name, act, new HookContext(name, layer, offset, lengths, batched, m));
        }

        BlockSites block(int layer) {
            return new BlockSites(this, layer, "blocks." + layer + ".");
        }
    }

    /** The hook sites of block {@code layer}: {@code fire("hook_resid_pre", x)} fires {@code blocks.L.hook_resid_pre}. */
    private record BlockSites(Sites sites, int layer, String prefix) {
        NDArray fire(String point, NDArray act) {
            return sites.fire(prefix + point, layer, act);
        }

        boolean has(String point) {
            return sites.hooks().has(prefix + point);
        }
    }

    /** Additive mask [b, 1, t, tk]: 0 where query i (absolute offset+i) may attend to key j (j <= offset+i and
     * j < length[row]), -inf elsewhere; null when nothing is masked (single-token step over an unpadded cache). */
    static NDArray causalMask(NDManager m, int b, int t, int offset, int[] lengths) {
        int tk = offset + t;
        if (t == 1) { // a decode step sees every cached key unless a row is padded: no mask needed
            boolean full = true;
            for (int len : lengths) full &= len >= tk;
            if (full) return null;
        }
        float[] mask = new float[b * t * tk];
        Arrays.fill(mask, Float.NEGATIVE_INFINITY);
        for (int r = 0; r < b; r++) {
            int len = lengths[r];
            for (int i = 0; i < t; i++) {
                int lim = Math.min(offset + i, len - 1);
                // a padded query row (offset+i >= len) still sees its row's real keys: never an empty softmax
                int base = (r * t + i) * tk;
                for (int j = 0; j <= lim; j++) mask[base + j] = 0f;
            }
        }
        return m.create(mask, new Shape(b, 1, t, tk));
    }

    /** A contiguous copy of {@code x} that keeps its autograd history (unlike {@link NDArray#duplicate()}). */
    static NDArray contiguousCopy(NDArray x) {
        return x.mul(scalar(x, 1f));
    }

    /**
     * A 0-d constant of {@code like}'s dtype for a binary op that may run under autograd. Never pass a Java
     * {@code Number} to DJL's {@code mul}/{@code div}/{@code pow}/{@code maximum}/... there: DJL PyTorch turns it
     * into a 0-d tensor with {@code torch::from_blob} over a Java direct ByteBuffer, runs the op and closes the
     * NDArray at once. The op's backward node (MulBackward, DivBackward, PowBackward) saves that tensor, whose
     * memory now belongs to nobody in PyTorch and is freed whenever the GC runs the ByteBuffer's cleaner; the
     * backward pass then multiplies by whatever was written there since (seen: step-0 gradients ~1e35 or NaN
     * for the embedding, block-0 ln1 and W_QKV behind the block-0 attention scale, in 5 of 60 JVMs).
     * {@code full} allocates in PyTorch, so the saved tensor owns its storage. Same op and value as the
     * {@code Number} overload, so results are bit-identical. ({@code add}/{@code sub} save no operand.)
     */
    public static NDArray scalar(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, like.getDataType());
    }

    /** The norm without its gain/bias (TransformerLens hook_normalized). */
    static NDArray normalize(ModelConfig c, NDArray x) {
        float eps = c.normEps();
        if (c.isLlama()) {
            return x.div(x.square().mean(new int[]{-1}, true).add(eps).sqrt());
        }
        NDArray centered = x.sub(x.mean(new int[]{-1}, true));
        return centered.div(centered.square().mean(new int[]{-1}, true).add(eps).sqrt());
    }

    static NDArray affine(NDArray n, NDArray w, NDArray bias) {
        NDArray y = n.mul(w);
        return bias == null ? y : y.add(bias);
    }

    /** Rotate-half RoPE: x * cos + rotate_half(x) * sin, rotate_half([a, b]) = [-b, a] = x R (one small matmul). */
    static NDArray rope(NDArray x, NDArray cos, NDArray sin, NDArray rotateHalf) {
        return x.mul(cos).add(x.matMul(rotateHalf).mul(sin));
    }

    static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    /** GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    static NDArray geluTanh(NDArray x) {
        float k = (float) Math.sqrt(2.0 / Math.PI);
        // scalar(): these ops keep their constant for the backward pass (see there); pow's exponent stays an
        // int32 0-d tensor as DJL's pow(3) made it
        NDArray cube = x.pow(x.getManager().full(new Shape(), 3, DataType.INT32));
        NDArray inner = x.add(cube.mul(scalar(x, 0.044715f))).mul(scalar(x, k));
        return x.mul(inner.tanh().add(1f)).mul(scalar(x, 0.5f));
    }
}
