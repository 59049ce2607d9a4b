package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Adam (Kingma &amp; Ba 2015) for one parameter array, with bias correction:
 * m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; p ← p − lr · m̂ / (√v̂ + ε).
 * State lives in the given manager.
 */
public final class Adam {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private NDArray m;
    private NDArray v;

    public Adam(NDManager manager, NDArray like, float beta1, float beta2, float eps) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.m = manager.zeros(like.getShape());
        this.v = manager.zeros(like.getShape());
    }

    public Adam(NDManager manager, NDArray like) {
        this(manager, like, 0.9f, 0.999f, 1e-8f);
    }

    /** The parameter after one step (t is 1-based); the state is updated in place. */
    public NDArray step(NDArray param, NDArray grad, float lr, int t) {
        m.muli(beta1).addi(grad.mul(1f - beta1));
        v.muli(beta2).addi(grad.square().mul(1f - beta2));
        float c1 = 1f - (float) Math.pow(beta1, t);
        float c2 = 1f - (float) Math.pow(beta2, t);
        // Built from grad.zerosLike() so every temporary lives in the caller's (grad's) scope, not in
        // the long-lived manager of the state.
        NDArray denom = grad.zerosLike().addi(v).divi(c2).powi(0.5f).addi(eps);
        NDArray update = grad.zerosLike().addi(m).divi(c1).divi(denom).muli(lr);
        NDArray out = param.sub(update);
        out.attach(grad.getManager());                  // the caller decides where the new parameter lives
        return out;
    }

    /** Zeroes the state of the rows (axis 0) or columns (axis 1) selected by a 0/1 mask (after resampling). */
    public void resetWhere(NDArray keepMask) {
        m.muli(keepMask);
        v.muli(keepMask);
    }

    NDArray m() { return m; }
    NDArray v() { return v; }
}
