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
 *     + α · min(n_dead/k_aux, 1) · (1/B) Σ_b ||ê_b − (x_b − x̂_b)||²  TopK only: AuxK (Gao et al. 2024, §A.2)
 * </pre>
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
                         NDArray gWEnc, NDArray gBEnc, NDArray gWDec, NDArray gBDec, NDArray reconstruction) {
        public float total() { return mse + sparsity + aux; }
    }

    /**
     * @param x        [B, d_in] batch
     * @param deadMask [d_sae] float 0/1 (1 = dead), or null; used by AuxK only
     */
    public Result compute(SaeConfig cfg, NDArray wEnc, NDArray bEnc, NDArray wDec, NDArray bDec, NDArray x, NDArray deadMask) {
        NDManager scope = x.getManager();
        long b = x.getShape().get(0);
        float invB = 1f / b;
        NDArray xc = cfg.applyBDecToInput() ? x.sub(bDec) : x;
        NDArray pre = xc.matMul(wEnc).add(bEnc);
        NDArray mask = cfg.isTopK() ? TopKSae.mask(pre, cfg.k()) : pre.gt(0f).toType(DataType.FLOAT32, false);
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
        if (!cfg.isTopK() && l1Coefficient > 0f) {
            NDArray norms = local(scope, wDec.norm(new int[] {1}));       // [S]
            sparsity = l1Coefficient * invB * z.mul(norms).sum().getFloat();
            dz = dz.add(norms.mul(l1Coefficient * invB));
            // d/dW_dec,i of ||W_dec,i|| = W_dec,i / ||W_dec,i||, weighted by Σ_b z_bi
            NDArray coef = z.sum(new int[] {0}).mul(l1Coefficient * invB).div(norms.add(1e-12f));
            gWDec = gWDec.add(coef.expandDims(1).mul(wDec));
        }
        NDArray dPre = dz.mul(mask);

        float aux = 0f;
        if (cfg.isTopK() && auxCoefficient > 0f && deadMask != null) {
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
        return new Result(mse, sparsity, aux, z, gWEnc, gBEnc, gWDec, gBDec, xhat);
    }

    /** Moves a temporary computed from a parameter (which DJL attaches to the parameter's manager) into the batch's scope. */
    private static NDArray local(NDManager scope, NDArray a) {
        a.attach(scope);
        return a;
    }
}
