package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * One forward and backward pass of an SAE's training loss on a batch, with hand-written
 * gradients (one matmul per product, no autograd tape).
 *
 * <pre>
 *   L = (1/B) Σ_b ||x̂_b − x_b||²                                   reconstruction (SAELens: MSE summed over d_in, mean over batch)
 *     + λ (1/B) Σ_b Σ_i z_bi ||W_dec,i||                            ReLU only: L1 weighted by decoder norms (Anthropic, April 2024 update)
 *     + α · min(n_dead/k_aux, 1) · (1/B) Σ_b ||ê_b − (x_b − x̂_b)||²  TopK and BatchTopK: AuxK (Gao et al. 2024, §A.2)
 *     + λ (1/B) Σ_b Σ_i H(pre_bi − θ_i)                           JumpReLU only: L0, θ's gradient by the straight-through
 *                                                                  estimator ∂H(u−θ)/∂θ ≈ −K((u−θ)/ε)/ε, K the unit rectangle
 * </pre>
 * JumpReLU's z = pre·H(pre − θ) passes the gradient to pre where the latent fires and to θ through
 * the same estimator: ∂z/∂θ ≈ −θ K((pre−θ)/ε)/ε (Rajamanoharan et al. 2024, SAELens's JumpReLU.backward).
 * BatchTopK's mask keeps the B·k largest positive pre-activations of the batch.
 * where ê = z_aux W_dec reconstructs the (detached) residual from the top-k_aux pre-activations
 * among the dead latents. Gradients flow into b_dec both through the decoder and, when
 * apply_b_dec_to_input, through the centred input x − b_dec, as autograd would do.
 *
 * @param l1Coefficient λ (ReLU only)
 * @param auxCoefficient α (TopK only; Gao et al. use 1/32)
 * @param kAux k_aux (Gao et al.: a power of two near d_in/2)
 */
public record SaeLoss(float l1Coefficient, float auxCoefficient, int kAux) {

    /** Loss terms, gradients and the activations of the batch (all in the batch's manager). */
    public record Result(float mse, float sparsity, float aux, NDArray z,
                         NDArray gWEnc, NDArray gBEnc, NDArray gWDec, NDArray gBDec, NDArray reconstruction, NDArray gThreshold) {
        public float total() { return mse + sparsity + aux; }
    }

    /**
     * @param x        [B, d_in] batch
     * @param deadMask [d_sae] float 0/1 (1 = dead), or null; used by AuxK only
     */
    public Result compute(SaeConfig cfg, NDArray wEnc, NDArray bEnc, NDArray wDec, NDArray bDec, NDArray x, NDArray deadMask) {
        return compute(TrainingMethod.forConfig(cfg), cfg, wEnc, bEnc, wDec, bDec, null, x, deadMask);
    }

    /**
     * @param method    how latents are made sparse (cfg.k() is k for TopK and BatchTopK)
     * @param threshold [d_sae] JumpReLU thresholds θ (JUMPRELU only, else null)
     */
    public Result compute(TrainingMethod method, SaeConfig cfg, NDArray wEnc, NDArray bEnc, NDArray wDec, NDArray bDec,
                          NDArray threshold, NDArray x, NDArray deadMask) {
        NDManager scope = x.getManager();
        long b = x.getShape().get(0);
        float invB = 1f / b;
        NDArray xc = cfg.applyBDecToInput() ? x.sub(bDec) : x;
        NDArray pre = xc.matMul(wEnc).add(bEnc);
        NDArray theta = threshold == null ? null : local(scope, threshold.maximum(0f));
        NDArray mask = switch (method) {
            case RELU -> pre.gt(0f).toType(DataType.FLOAT32, false);
            case TOPK -> TopKSae.mask(pre, cfg.k());
            case BATCH_TOPK -> batchTopKMask(pre, cfg.k());
            case JUMPRELU -> pre.gt(theta).toType(DataType.FLOAT32, false);
        };
        NDArray z = pre.mul(mask);
        NDArray xhat = z.matMul(wDec).add(bDec);
        NDArray err = xhat.sub(x);
        float mse = err.square().sum().getFloat() * invB;

        NDArray g = err.mul(2f * invB);                    // dL/dx̂
        NDArray gWDec = z.transpose().matMul(g);            // [S, d]
        NDArray gBDec = g.sum(new int[] {0});
        NDArray wDecT = local(scope, wDec.transpose());
        NDArray dz = g.matMul(wDecT);            // [B, S]

        float sparsity = 0f;
        if (method == TrainingMethod.RELU && l1Coefficient > 0f) {
            NDArray norms = local(scope, wDec.norm(new int[] {1}));       // [S]
            sparsity = l1Coefficient * invB * z.mul(norms).sum().getFloat();
            dz = dz.add(norms.mul(l1Coefficient * invB));
            // d/dW_dec,i of ||W_dec,i|| = W_dec,i / ||W_dec,i||, weighted by Σ_b z_bi
            NDArray coef = z.sum(new int[] {0}).mul(l1Coefficient * invB).div(norms.add(1e-12f));
            gWDec = gWDec.add(coef.expandDims(1).mul(wDec));
        }
        NDArray dPre = dz.mul(mask);
        NDArray gThreshold = null;
        if (method == TrainingMethod.JUMPRELU) {
            // rectangle((pre − θ)/ε)/ε: the straight-through estimate of the step's derivative
            float eps = TrainingMethod.JUMPRELU_BANDWIDTH;
            NDArray u = pre.sub(theta).div(eps);
            NDArray kernel = u.gt(-0.5f).logicalAnd(u.lt(0.5f)).toType(DataType.FLOAT32, false).div(eps);
            NDArray fromRecon = kernel.mul(dz).mul(theta).neg().sum(new int[] {0});
            sparsity = l1Coefficient * invB * mask.sum().getFloat();
            NDArray fromL0 = kernel.sum(new int[] {0}).mul(-l1Coefficient * invB);
            // through θ = ReLU(threshold)
            gThreshold = fromRecon.add(fromL0).mul(local(scope, threshold.gt(0f)).toType(DataType.FLOAT32, false));
        }

        float aux = 0f;
        if (method.auxK() && auxCoefficient > 0f && deadMask != null) {
            int nDead;
            try (NDArray n = deadMask.sum()) {
                nDead = (int) n.getFloat();
            }
            if (nDead > 0) {
                int k = Math.min(kAux, nDead);
                // Only dead latents compete: push the live ones far below any real pre-activation.
                NDArray dead = local(scope, deadMask.duplicate());
                NDArray deadPre = pre.add(dead.sub(1f).mul(1e30f));
                NDArray kth = deadPre.topK(k, 1, true, false).get(0).min(new int[] {1}, true);
                NDArray auxMask = deadPre.gte(kth).logicalAnd(pre.gt(0f)).toType(DataType.FLOAT32, false)
                        .mul(dead);
                NDArray zAux = pre.mul(auxMask);
                NDArray residual = err.neg();               // x − x̂, treated as a constant (detached)
                NDArray auxErr = zAux.matMul(wDec).sub(residual);
                float scale = auxCoefficient * Math.min((float) nDead / kAux, 1f);
                aux = scale * invB * auxErr.square().sum().getFloat();
                NDArray gAux = auxErr.mul(2f * scale * invB);
                gWDec = gWDec.add(zAux.transpose().matMul(gAux));
                dPre = dPre.add(gAux.matMul(wDecT).mul(auxMask));
            }
        }

        NDArray gWEnc = xc.transpose().matMul(dPre);        // [d, S]
        NDArray gBEnc = dPre.sum(new int[] {0});
        if (cfg.applyBDecToInput()) {
            gBDec = gBDec.sub(local(scope, wEnc.matMul(gBEnc)));          // through x − b_dec
        }
        return new Result(mse, sparsity, aux, z, gWEnc, gBEnc, gWDec, gBDec, xhat, gThreshold);
    }

    /** 1 on the B·k largest positive pre-activations of the whole batch (BatchTopK), as float32. */
    static NDArray batchTopKMask(NDArray pre, int k) {
        long n = Math.min(pre.size(), pre.getShape().get(0) * k);
        NDArray kth = pre.reshape(-1).topK((int) n, 0, true, false).get(0).min();
        return pre.gte(kth).logicalAnd(pre.gt(0f)).toType(DataType.FLOAT32, false);
    }

    /** Moves a temporary computed from a parameter (which DJL attaches to the parameter's manager) into the batch's scope. */
    private static NDArray local(NDManager scope, NDArray a) {
        a.attach(scope);
        return a;
    }
}
