package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A sparse autoencoder in SAELens's layout: {@code W_enc [d_in, d_sae]}, {@code b_enc [d_sae]},
 * {@code W_dec [d_sae, d_in]}, {@code b_dec [d_in]}.
 *
 * <pre>
 *   pre   = (x - b_dec·apply_b_dec_to_input) W_enc + b_enc
 *   z     = ReLU(pre)                          (architecture "standard")
 *   z     = ReLU(pre) on the k largest of pre   (architecture "topk", Gao et al. 2024), 0 elsewhere
 *   x_hat = z W_dec + b_dec
 * </pre>
 *
 * Encoding and decoding are batched: one matmul per batch of rows. Results live in the manager of
 * the input array (free them with the caller's NDManager scope). The weights live in this SAE's own
 * manager, freed by {@link #close()}.
 */
public final class SparseAutoencoder implements AutoCloseable {
    private final SaeConfig cfg;
    private final NDManager manager;
    private NDArray wEnc;
    private NDArray bEnc;
    private NDArray wDec;
    private NDArray bDec;

    private SparseAutoencoder(SaeConfig cfg, NDManager manager, NDArray wEnc, NDArray bEnc, NDArray wDec, NDArray bDec) {
        this.cfg = cfg;
        this.manager = manager;
        this.wEnc = wEnc;
        this.bEnc = bEnc;
        this.wDec = wDec;
        this.bDec = bDec;
    }

    /** Builds an SAE from heap tensors, checking every shape against the config. */
    public static SparseAutoencoder of(SaeConfig cfg, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec) {
        check("W_enc", wEnc, cfg.dIn(), cfg.dSae());
        check("b_enc", bEnc, cfg.dSae());
        check("W_dec", wDec, cfg.dSae(), cfg.dIn());
        check("b_dec", bDec, cfg.dIn());
        NDManager m = NDManager.newBaseManager();
        return new SparseAutoencoder(cfg, m,
                m.create(wEnc.data(), new Shape(cfg.dIn(), cfg.dSae())),
                m.create(bEnc.data(), new Shape(cfg.dSae())),
                m.create(wDec.data(), new Shape(cfg.dSae(), cfg.dIn())),
                m.create(bDec.data(), new Shape(cfg.dIn())));
    }

    private static void check(String name, Tensor t, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("SAE tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + " but the config (d_in, d_sae) implies " + Arrays.toString(shape));
        }
    }

    public SaeConfig config() { return cfg; }

    /** Pre-activations {@code (x - b_dec) W_enc + b_enc}, x of shape [B, d_in]. */
    public NDArray preActivations(NDArray x) {
        checkInput(x);
        NDArray xc = cfg.applyBDecToInput() ? x.sub(bDec) : x;
        return xc.matMul(wEnc).add(bEnc);
    }

    /** Latent activations [B, d_sae]: ReLU, or ReLU of the k largest pre-activations per row. */
    public NDArray encode(NDArray x) {
        return activate(preActivations(x), cfg);
    }

    /** Reconstruction [B, d_in] from latents [B, d_sae]. */
    public NDArray decode(NDArray z) {
        if (z.getShape().dimension() != 2 || z.getShape().get(1) != cfg.dSae()) {
            throw new IllegalArgumentException("decode expects latents [batch, " + cfg.dSae() + "], got " + z.getShape());
        }
        return z.matMul(wDec).add(bDec);
    }

    public NDArray reconstruct(NDArray x) {
        return decode(encode(x));
    }

    /** The activation mask (1 where a latent is active) for pre-activations, as float32. */
    static NDArray activeMask(NDArray pre, SaeConfig cfg) {
        NDArray positive = pre.gt(0f);
        if (!cfg.isTopK()) return positive.toType(DataType.FLOAT32, false);
        // The k-th largest value per row is the threshold; ties at that value are vanishingly rare
        // with float activations and would only admit an extra latent.
        NDArray kth = pre.topK(cfg.k(), 1, true, false).get(0).min(new int[] {1}, true);
        return pre.gte(kth).logicalAnd(positive).toType(DataType.FLOAT32, false);
    }

    static NDArray activate(NDArray pre, SaeConfig cfg) {
        return pre.mul(activeMask(pre, cfg));
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

    /** Decodes heap latents [B, d_sae] to reconstructions [B, d_in]. */
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
        w.put("b_enc", new Tensor(bEnc.toFloatArray(), cfg.dSae()));
        w.put("W_dec", new Tensor(wDec.toFloatArray(), cfg.dSae(), cfg.dIn()));
        w.put("b_dec", new Tensor(bDec.toFloatArray(), cfg.dIn()));
        return w;
    }

    /** b_dec, a copy (d_in floats): the reconstruction when no latent is active. */
    public float[] decoderBias() {
        return bDec.toFloatArray();
    }

    /** Row {@code i} of W_dec: latent i's direction in the model's residual space. */
    public float[] decoderRow(int i) {
        return wDec.get(i).toFloatArray();
    }

    // Training access (same package): the live parameter arrays.
    NDManager manager() { return manager; }
    NDArray wEnc() { return wEnc; }
    NDArray bEnc() { return bEnc; }
    NDArray wDec() { return wDec; }
    NDArray bDec() { return bDec; }

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
    }

    @Override
    public void close() {
        manager.close();
    }
}
