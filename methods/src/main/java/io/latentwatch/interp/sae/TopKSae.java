package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * SAELens's "topk" SAE (Gao et al. 2024, arXiv 2406.04093): {@code pre = sae_in W_enc + b_enc},
 * the k largest per row pass through ReLU, the rest are 0. With {@code rescale_acts_by_decoder_norm}
 * (SAELens 6's training default) the choice is made on {@code pre ⊙ ||W_dec,i||} and the latents
 * are divided by ||W_dec,i|| again before decoding, so the SAE behaves as if its decoder rows were
 * unit-norm whatever their stored norms.
 */
public final class TopKSae implements SaeArchitecture {
    private final int k;
    private final boolean rescale;
    private NDArray decoderNorms;   // [d_sae], computed once from W_dec (rescale only)

    TopKSae(int k, boolean rescaleActsByDecoderNorm) {
        this.k = k;
        this.rescale = rescaleActsByDecoderNorm;
    }

    @Override public String name() { return SaeConfig.TOPK; }

    public int k() { return k; }

    public boolean rescalesByDecoderNorm() { return rescale; }

    /** The values the top-k choice is made on: pre-activations, times ||W_dec,i|| when rescaling. */
    NDArray selectionValues(SparseAutoencoder sae, NDArray saeIn) {
        NDArray pre = saeIn.matMul(sae.wEnc()).add(sae.bEnc());
        return rescale ? pre.mul(decoderNorms(sae)) : pre;
    }

    @Override
    public NDArray encode(SparseAutoencoder sae, NDArray saeIn) {
        NDArray v = selectionValues(sae, saeIn);
        return v.mul(mask(v, k));
    }

    @Override
    public NDArray decoderInput(SparseAutoencoder sae, NDArray z) {
        return rescale ? z.div(decoderNorms(sae)) : z;
    }

    synchronized NDArray decoderNorms(SparseAutoencoder sae) {
        if (decoderNorms == null) decoderNorms = sae.wDec().norm(new int[] {1});
        return decoderNorms;
    }

    /** Called when training replaces W_dec. */
    synchronized void invalidate() {
        if (decoderNorms != null) decoderNorms.close();
        decoderNorms = null;
    }

    /**
     * 1 on the k largest values of each row that are also positive (TopK then ReLU), as float32.
     * The k-th largest value is the threshold; ties at it are vanishingly rare with float activations.
     */
    static NDArray mask(NDArray values, int k) {
        NDArray kth = values.topK(k, 1, true, false).get(0).min(new int[] {1}, true);
        return values.gte(kth).logicalAnd(values.gt(0f)).toType(DataType.FLOAT32, false);
    }

    @Override
    public String formula() {
        return rescale ? "pre = (sae_in·W_enc + b_enc)·||W_dec,i||; z = ReLU on the " + k + " largest of pre per token, 0 elsewhere; decoded as z/||W_dec,i||"
                : "pre = sae_in·W_enc + b_enc; z = ReLU on the " + k + " largest of pre per token, 0 elsewhere";
    }
}
