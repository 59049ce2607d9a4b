package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.latentwatch.interp.tensor.Tensor;

import java.util.Map;

/**
 * SAELens's "jumprelu" SAE (Rajamanoharan et al. 2024, arXiv 2407.14435; Gemma Scope, Llama Scope,
 * and every BatchTopK/Matryoshka SAE as SAELens saves them): {@code pre = sae_in W_enc + b_enc},
 * {@code z = ReLU(pre)·[pre > ReLU(θ)]} with a per-latent threshold θ ({@code threshold [d_sae]}).
 */
public final class JumpReluSae implements SaeArchitecture {
    private NDArray threshold;
    private NDArray gate;      // ReLU(θ), computed once (not per batch in the SAE's long-lived manager)

    /** @param threshold [d_sae], owned by the SAE's manager */
    JumpReluSae(NDArray threshold) {
        this.threshold = threshold;
        this.gate = threshold.maximum(0f);
    }

    @Override public String name() { return SaeConfig.JUMPRELU; }

    @Override
    public NDArray encode(SparseAutoencoder sae, NDArray saeIn) {
        NDArray pre = saeIn.matMul(sae.wEnc()).add(sae.bEnc());
        return mask(pre).mul(pre.maximum(0f));
    }

    /** [pre > ReLU(θ)] as float32: the latents that fire. */
    NDArray mask(NDArray pre) {
        return pre.gt(gate).toType(DataType.FLOAT32, false);
    }

    NDArray threshold() { return threshold; }

    /** Training: replaces θ (the new array is owned by the SAE's manager). */
    void setThreshold(NDArray t) {
        NDArray oldT = threshold, oldG = gate;
        threshold = t;
        gate = t.maximum(0f);
        if (oldT != t) oldT.close();
        oldG.close();
    }

    @Override
    public Map<String, Tensor> extraWeights() {
        return Map.of("threshold", new Tensor(threshold.toFloatArray(), (int) threshold.size()));
    }

    @Override public String formula() { return "pre = sae_in·W_enc + b_enc; z = ReLU(pre)·[pre > threshold] (per-latent threshold)"; }
}
