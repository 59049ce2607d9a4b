package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;

/** SAELens's "standard" SAE: {@code z = ReLU(sae_in W_enc + b_enc)} (Bricken et al. 2023). */
public final class StandardSae implements SaeArchitecture {

    @Override public String name() { return SaeConfig.STANDARD; }

    @Override
    public NDArray encode(SparseAutoencoder sae, NDArray saeIn) {
        return saeIn.matMul(sae.wEnc()).add(sae.bEnc()).maximum(0f);
    }

    @Override public String formula() { return "z = ReLU(sae_in·W_enc + b_enc)"; }
}
