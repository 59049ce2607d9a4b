package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * What a monitor needs from an SAE for a batch of activations, computed in one pass: per row the
 * strongest active latents (ids and values, strongest first), L0 and the relative reconstruction
 * error {@code ||x - x̂||² / ||x||²}.
 *
 * <p>Every architecture, normalisation and scaling factor goes through the SAE's own steps
 * ({@link SparseAutoencoder}); the error compares the raw input with the un-normalised
 * reconstruction. For a TopK SAE (Gao et al. 2024) the latent vector has at most k non-zeros, so the
 * reconstruction {@code x̂ = Σ_j z_j' W_dec[j] + b_dec} (z' = z, divided by ||W_dec,j|| when the SAE
 * rescales by decoder norm, times the scaling factor when it has one) is summed over the k selected decoder rows
 * only (a gather and a [1, k] x [k, d_in] product per row): 2·k·d_in FLOPs instead of the dense
 * 2·d_sae·d_in, and no [batch, d_sae] mask or latent matrix is materialised. The result equals
 * {@code decode(encode(x))} up to float rounding ({@code SaeProjectionTest} checks both paths
 * against a scalar implementation). A ReLU SAE can have any number of active latents, so it is
 * decoded densely, and so are gated and JumpReLU SAEs.
 */
public final class SaeProjection {
    private final int rows;
    private final int width;
    private final long[] ids;
    private final float[] values;
    private final float[] l0;
    private final float[] reconError;

    private SaeProjection(int rows, int width, long[] ids, float[] values, float[] l0, float[] reconError) {
        this.rows = rows;
        this.width = width;
        this.ids = ids;
        this.values = values;
        this.l0 = l0;
        this.reconError = reconError;
    }

    /**
     * Projects {@code nRows} activations (row-major {@code x}, {@code nRows * d_in} floats), keeping at
     * most {@code maxLatents} latents per row.
     */
    public static SaeProjection of(SparseAutoencoder sae, float[] x, int nRows, int maxLatents) {
        SaeConfig cfg = sae.config();
        int dIn = cfg.dIn();
        if (x.length != nRows * dIn) {
            throw new IllegalArgumentException("expected " + nRows + " rows of d_in " + dIn + " (" + nRows * dIn + " floats), got " + x.length);
        }
        if (maxLatents <= 0) throw new IllegalArgumentException("maxLatents must be positive, got " + maxLatents);
        try (NDManager m = sae.manager().newSubManager()) {
            NDArray xa = m.create(x, new Shape(nRows, dIn));
            NDArray saeIn = sae.saeInput(xa);
            return sae.architecture() instanceof TopKSae topK
                    ? sparse(sae, topK, xa, saeIn, nRows, maxLatents) : dense(sae, xa, saeIn, nRows, maxLatents);
        }
    }

    private static SaeProjection sparse(SparseAutoencoder sae, TopKSae arch, NDArray xa, NDArray saeIn, int nRows, int maxLatents) {
        int k = arch.k();
        int dIn = sae.config().dIn();
        NDList top = arch.selectionValues(sae, saeIn).topK(k, 1, true, true);
        NDArray z = top.get(0).maximum(0f);                            // [B, k], ReLU of the k largest
        NDArray idx = top.get(1).toType(DataType.INT64, false);        // [B, k]
        NDManager scope = xa.getManager();
        NDIndex rows = new NDIndex("{}", idx.reshape(-1));
        // Gathered into this scope's manager, not the SAE's (which lives as long as the SAE).
        NDArray coef = z;
        if (arch.rescalesByDecoderNorm()) coef = coef.div(arch.decoderNorms(sae).get(scope, rows).reshape(nRows, k));
        if (sae.scaling() != null) coef = coef.mul(sae.scaling().get(scope, rows).reshape(nRows, k));
        NDArray rowsOfDec = sae.wDec().get(scope, rows).reshape(nRows, k, dIn);
        NDArray xh = sae.normalization().out(coef.expandDims(1).batchMatMul(rowsOfDec).reshape(nRows, dIn).add(sae.bDec()), xa);
        float[] err = relativeError(xa, xh);
        float[] l0 = z.gt(0f).toType(DataType.FLOAT32, false).sum(new int[] {1}).toFloatArray();
        int w = Math.min(maxLatents, k);
        NDArray keepVals = w == k ? z : z.get(":, :" + w);
        NDArray keepIds = w == k ? idx : idx.get(":, :" + w);
        return new SaeProjection(nRows, w, keepIds.toLongArray(), keepVals.toFloatArray(), l0, err);
    }

    private static SaeProjection dense(SparseAutoencoder sae, NDArray xa, NDArray saeIn, int nRows, int maxLatents) {
        NDArray z = sae.architecture().encode(sae, saeIn);
        NDArray xh = sae.decode(z, xa);
        float[] err = relativeError(xa, xh);
        float[] l0 = z.gt(0f).toType(DataType.FLOAT32, false).sum(new int[] {1}).toFloatArray();
        int w = Math.min(maxLatents, sae.config().dSae());
        NDList top = z.topK(w, 1, true, true);
        return new SaeProjection(nRows, w, top.get(1).toType(DataType.INT64, false).toLongArray(), top.get(0).toFloatArray(), l0, err);
    }

    private static float[] relativeError(NDArray x, NDArray xh) {
        NDArray sq = x.square().sum(new int[] {1});
        return xh.sub(x).square().sum(new int[] {1}).div(sq.add(1e-12f)).toFloatArray();
    }

    public int rows() { return rows; }

    /** Latent slots kept per row; slots whose value is not positive are inactive. */
    public int width() { return width; }

    /** Id of the {@code j}-th strongest latent of row {@code r}. */
    public int id(int r, int j) { return (int) ids[r * width + j]; }

    /** Activation of the {@code j}-th strongest latent of row {@code r} (0 when fewer latents are active). */
    public float value(int r, int j) { return values[r * width + j]; }

    /** Number of active latents in row {@code r} (may exceed {@link #width()}). */
    public int l0(int r) { return Math.round(l0[r]); }

    /** {@code ||x - x̂||² / ||x||²} of row {@code r}. */
    public float reconError(int r) { return reconError[r]; }
}
