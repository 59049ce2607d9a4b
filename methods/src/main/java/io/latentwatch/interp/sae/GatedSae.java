package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.interp.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SAELens's "gated" SAE (Rajamanoharan et al. 2024, arXiv 2404.16014): one encoder matrix, two
 * paths. Gate {@code [sae_in W_enc + b_gate > 0]} decides which latents fire; magnitude
 * {@code ReLU(sae_in (W_enc ⊙ exp(r_mag)) + b_mag)} says how strongly; {@code z} is their product.
 * There is no {@code b_enc}. Since exp(r_mag) scales columns, {@code sae_in (W_enc ⊙ exp(r_mag))}
 * is computed as {@code (sae_in W_enc) ⊙ exp(r_mag)}: one matmul for both paths.
 */
public final class GatedSae implements SaeArchitecture {
    private final NDArray bGate;
    private final NDArray bMag;
    private final NDArray rMag;
    private final NDArray expRMag;

    /** All [d_sae], owned by the SAE's manager. */
    GatedSae(NDArray bGate, NDArray bMag, NDArray rMag) {
        this.bGate = bGate;
        this.bMag = bMag;
        this.rMag = rMag;
        this.expRMag = rMag.exp();
    }

    @Override public String name() { return SaeConfig.GATED; }

    @Override
    public NDArray encode(SparseAutoencoder sae, NDArray saeIn) {
        NDArray h = saeIn.matMul(sae.wEnc());
        NDArray gate = h.add(bGate).gt(0f).toType(DataType.FLOAT32, false);
        NDArray magnitude = h.mul(expRMag).add(bMag).maximum(0f);
        return gate.mul(magnitude);
    }

    @Override public boolean hasEncoderBias() { return false; }

    @Override
    public Map<String, Tensor> extraWeights() {
        Map<String, Tensor> w = new LinkedHashMap<>();
        int s = (int) bGate.size();
        w.put("b_gate", new Tensor(bGate.toFloatArray(), s));
        w.put("b_mag", new Tensor(bMag.toFloatArray(), s));
        w.put("r_mag", new Tensor(rMag.toFloatArray(), s));
        return w;
    }

    @Override
    public String formula() {
        return "h = sae_in·W_enc; z = [h + b_gate > 0]·ReLU(h·exp(r_mag) + b_mag)";
    }
}
