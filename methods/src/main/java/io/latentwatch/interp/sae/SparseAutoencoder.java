package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A sparse autoencoder in SAELens's layout: {@code W_enc [d_in, d_sae]}, {@code b_enc [d_sae]},
 * {@code W_dec [d_sae, d_in]}, {@code b_dec [d_in]}, plus what its architecture needs
 * ({@code threshold}, or {@code b_gate}/{@code b_mag}/{@code r_mag}) and an optional per-latent
 * {@code scaling_factor}. The steps are SAELens's:
 *
 * <pre>
 *   sae_in = norm_in(x) − b_dec·apply_b_dec_to_input           (SAE.process_sae_in)
 *   z      = architecture.encode(sae_in)                        ({@link StandardSae}, {@link GatedSae}, {@link JumpReluSae}, {@link TopKSae})
 *   x̂      = norm_out(architecture.decoderInput(z)·s W_dec + b_dec)   s = scaling_factor, or 1
 * </pre>
 * where norm_in/norm_out are the per-token {@link ActivationNormalization} (identity for "none").
 *
 * <p>Encoding and decoding are batched: one matmul per batch of rows. Results live in the manager
 * of the input array (free them with the caller's NDManager scope). The weights live in this SAE's
 * own manager, freed by {@link #close()}.
 */
public final class SparseAutoencoder implements AutoCloseable {
    private final SaeConfig cfg;
    private final NDManager manager;
    private final SaeArchitecture arch;
    private final ActivationNormalization norm;
    private final NDArray scaling;      // finetuning scaling factor [d_sae], or null
    private NDArray wEnc;
    private NDArray bEnc;
    private NDArray wDec;
    private NDArray bDec;

    private SparseAutoencoder(SaeConfig cfg, NDManager manager, Map<String, Tensor> t) {
        this.cfg = cfg;
        this.manager = manager;
        this.norm = ActivationNormalization.of(cfg.normalizeActivations());
        this.wEnc = nd(t, "W_enc", cfg.dIn(), cfg.dSae());
        this.bEnc = SaeConfig.GATED.equals(cfg.architecture()) ? manager.zeros(new Shape(cfg.dSae())) : nd(t, "b_enc", cfg.dSae());
        this.wDec = nd(t, "W_dec", cfg.dSae(), cfg.dIn());
        this.bDec = nd(t, "b_dec", cfg.dIn());
        this.scaling = cfg.finetuningScalingFactor() ? nd(t, "scaling_factor", cfg.dSae()) : null;
        this.arch = switch (cfg.architecture()) {
            case SaeConfig.STANDARD -> new StandardSae();
            case SaeConfig.TOPK -> new TopKSae(cfg.k(), cfg.rescaleActsByDecoderNorm());
            case SaeConfig.JUMPRELU -> new JumpReluSae(nd(t, "threshold", cfg.dSae()));
            case SaeConfig.GATED -> new GatedSae(nd(t, "b_gate", cfg.dSae()), nd(t, "b_mag", cfg.dSae()), nd(t, "r_mag", cfg.dSae()));
            default -> throw new IllegalArgumentException("unknown architecture " + cfg.architecture());
        };
    }

    private NDArray nd(Map<String, Tensor> t, String name, int... shape) {
        Tensor x = t.get(name);
        if (x == null) {
            throw new IllegalArgumentException("a " + cfg.architecture() + " SAE needs tensor '" + name + "' " + Arrays.toString(shape)
                    + " (has " + t.keySet() + ")");
        }
        check(name, x, shape);
        return manager.create(x.data(), new Shape(Arrays.stream(shape).asLongStream().toArray()));
    }

    /**
     * Builds an SAE from heap tensors under SAELens's names (W_enc, b_enc, W_dec, b_dec, and
     * threshold / b_gate, b_mag, r_mag / scaling_factor as the config needs), checking every shape.
     */
    public static SparseAutoencoder of(SaeConfig cfg, Map<String, Tensor> tensors) {
        NDManager m = NDManager.newBaseManager();
        try {
            return new SparseAutoencoder(cfg, m, tensors);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Builds a standard or TopK SAE from its four tensors. */
    public static SparseAutoencoder of(SaeConfig cfg, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("W_enc", wEnc);
        t.put("b_enc", bEnc);
        t.put("W_dec", wDec);
        t.put("b_dec", bDec);
        return of(cfg, t);
    }

    private static void check(String name, Tensor t, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("SAE tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but the config (d_in, d_sae) implies " + Arrays.toString(shape));
        }
    }

    /**
     * SAELens's {@code fold_activation_norm_scaling_factor(f)} on heap tensors: W_enc·f, W_dec/f,
     * b_dec/f, so the SAE trained on inputs scaled by f takes raw activations. b_enc and thresholds
     * are unchanged (they live after the encoder matmul, already in the scaled space).
     */
    public static Map<String, Tensor> foldActivationNormScalingFactor(Map<String, Tensor> t, float f) {
        Map<String, Tensor> out = new LinkedHashMap<>(t);
        out.put("W_enc", scaled(t.get("W_enc"), f));
        out.put("W_dec", scaled(t.get("W_dec"), 1f / f));
        out.put("b_dec", scaled(t.get("b_dec"), 1f / f));
        return out;
    }

    private static Tensor scaled(Tensor t, float f) {
        float[] v = t.data().clone();
        for (int i = 0; i < v.length; i++) v[i] *= f;
        return new Tensor(v, t.shape());
    }

    public SaeConfig config() { return cfg; }

    public SaeArchitecture architecture() { return arch; }

    public ActivationNormalization normalization() { return norm; }

    /** {@code sae_in}: the normalised input minus b_dec when apply_b_dec_to_input, x of shape [B, d_in]. */
    public NDArray saeInput(NDArray x) {
        checkInput(x);
        NDArray xn = norm.in(x);
        return cfg.applyBDecToInput() ? xn.sub(bDec) : xn;
    }

    /** Latent activations [B, d_sae]. */
    public NDArray encode(NDArray x) {
        return arch.encode(this, saeInput(x));
    }

    /**
     * Reconstruction [B, d_in] from latents [B, d_sae]. Only for SAEs without per-token
     * normalisation: those need the input too ({@link #decode(NDArray, NDArray)}).
     */
    public NDArray decode(NDArray z) {
        if (norm != ActivationNormalization.NONE) {
            throw new IllegalStateException("this SAE normalises each input (" + cfg.normalizeActivations()
                    + "); decoding needs the input's statistics: use decode(z, x) or reconstruct(x)");
        }
        return decodeNormalised(z);
    }

    /** Reconstruction [B, d_in] of inputs {@code x} from their latents {@code z}, normalisation undone. */
    public NDArray decode(NDArray z, NDArray x) {
        return norm.out(decodeNormalised(z), x);
    }

    /** {@code decoderInput(z)·s W_dec + b_dec}, in the normalised space. */
    NDArray decodeNormalised(NDArray z) {
        if (z.getShape().dimension() != 2 || z.getShape().get(1) != cfg.dSae()) {
            throw new IllegalArgumentException("decode expects latents [batch, " + cfg.dSae() + "], got " + z.getShape());
        }
        NDArray d = arch.decoderInput(this, z);
        if (scaling != null) d = d.mul(scaling);
        return d.matMul(wDec).add(bDec);
    }

    public NDArray reconstruct(NDArray x) {
        return decode(encode(x), x);
    }

    private void checkInput(NDArray x) {
        if (x.getShape().dimension() != 2 || x.getShape().get(1) != cfg.dIn()) {
            throw new IllegalArgumentException("SAE for " + cfg.hookName() + " expects activations [batch, " + cfg.dIn()
                    + "], got " + x.getShape());
        }
    }

    /** Encodes heap rows [B, d_in] (or one row [d_in]) to latents [B, d_sae]. */
    public Tensor encode(Tensor x) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray z = encode(toRows(scope, x, cfg.dIn()));
            return new Tensor(z.toFloatArray(), (int) z.getShape().get(0), cfg.dSae());
        }
    }

    /** Decodes heap latents [B, d_sae] to reconstructions [B, d_in] (SAEs without per-token normalisation). */
    public Tensor decode(Tensor z) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray xh = decode(toRows(scope, z, cfg.dSae()));
            return new Tensor(xh.toFloatArray(), (int) xh.getShape().get(0), cfg.dIn());
        }
    }

    public Tensor reconstruct(Tensor x) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray xh = reconstruct(toRows(scope, x, cfg.dIn()));
            return new Tensor(xh.toFloatArray(), (int) xh.getShape().get(0), cfg.dIn());
        }
    }

    private static NDArray toRows(NDManager m, Tensor t, int width) {
        if (t.size() % width != 0 || t.dim(-1) != width) {
            throw new IllegalArgumentException("expected rows of width " + width + ", got tensor of shape " + Arrays.toString(t.shape()));
        }
        return m.create(t.data(), new Shape(t.size() / width, width));
    }

    /** A copy of the weights as heap tensors, in SAELens's names and order. */
    public Map<String, Tensor> weights() {
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("W_enc", new Tensor(wEnc.toFloatArray(), cfg.dIn(), cfg.dSae()));
        if (arch.hasEncoderBias()) w.put("b_enc", new Tensor(bEnc.toFloatArray(), cfg.dSae()));
        w.put("W_dec", new Tensor(wDec.toFloatArray(), cfg.dSae(), cfg.dIn()));
        w.put("b_dec", new Tensor(bDec.toFloatArray(), cfg.dIn()));
        w.putAll(arch.extraWeights());
        if (scaling != null) w.put("scaling_factor", new Tensor(scaling.toFloatArray(), cfg.dSae()));
        return w;
    }

    /** b_dec, a copy (d_in floats): the reconstruction (before un-normalising) when no latent is active. */
    public float[] decoderBias() {
        return bDec.toFloatArray();
    }

    /** Row {@code i} of W_dec: latent i's direction in the model's residual space. */
    public float[] decoderRow(int i) {
        return wDec.get(i).toFloatArray();
    }

    // Training and projection access (same package): the live parameter arrays.
    NDManager manager() { return manager; }
    NDArray wEnc() { return wEnc; }
    NDArray bEnc() { return bEnc; }
    NDArray wDec() { return wDec; }
    NDArray bDec() { return bDec; }
    NDArray scaling() { return scaling; }

    /** Replaces the parameters (training); the new arrays are moved into this SAE's manager. */
    void setParameters(NDArray wEnc, NDArray bEnc, NDArray wDec, NDArray bDec) {
        NDArray[] old = {this.wEnc, this.bEnc, this.wDec, this.bDec};
        NDArray[] neu = {wEnc, bEnc, wDec, bDec};
        for (NDArray a : neu) a.attach(manager);
        this.wEnc = wEnc;
        this.bEnc = bEnc;
        this.wDec = wDec;
        this.bDec = bDec;
        for (int i = 0; i < 4; i++) if (old[i] != neu[i]) old[i].close();
        if (arch instanceof TopKSae t) t.invalidate();
    }

    /** Training (JumpReLU): replaces the thresholds; the array is moved into this SAE's manager. */
    void setThreshold(NDArray threshold) {
        threshold.attach(manager);
        ((JumpReluSae) arch).setThreshold(threshold);
    }

    @Override
    public void close() {
        arch.close();
        manager.close();
    }
}
