package io.latentwatch.interp.successor;

import io.latentwatch.interp.paths.ComponentMath;
import io.latentwatch.interp.model.ModelConfig;

/**
 * The effective OV circuit of Gould et al. 2023 (after Wang et al. 2022 and Hanna et al. 2023):
 * token -> embedding -> MLP0 -> head's W_V W_O -> final norm -> unembedding. The effective embedding is the
 * residual stream after block 0 with block 0's attention ignored, r(t) = e_t + MLP0(ln2(e_t)); a head reads it
 * through its own norm (ln1 of its layer), as in the model. Heads of block 0 read the residual stream before
 * MLP0, so their input is the raw embedding ({@link #inputs}).
 */
public final class OvCircuit {
    private final ComponentMath math;

    public OvCircuit(ComponentMath math) { this.math = math; }

    public ComponentMath math() { return math; }

    public ModelConfig config() { return math.config(); }

    /** Raw token embeddings [n][d]. */
    public float[][] embeddings(int[] ids) {
        int d = config().dModel();
        float[] we = math.weights().wE().data();
        float[][] e = new float[ids.length][d];
        for (int i = 0; i < ids.length; i++) System.arraycopy(we, ids[i] * d, e[i], 0, d);
        return e;
    }

    /** MLP0(ln2(e_t)) for each token (no residual). */
    public float[][] mlp0(float[][] emb) {
        return math.mlp(0, emb); // per-row: the MLP mixes no positions
    }

    /** r(t) = e_t + MLP0(e_t): the effective embedding. */
    public float[][] effectiveEmbeddings(int[] ids) {
        float[][] e = embeddings(ids), m = mlp0(e);
        for (int i = 0; i < e.length; i++) for (int j = 0; j < e[i].length; j++) e[i][j] += m[i][j];
        return e;
    }

    /** What a head of {@code layer} reads for each token: the embedding for block 0, else the effective embedding. */
    public float[][] inputs(int layer, int[] ids) {
        return layer == 0 ? embeddings(ids) : effectiveEmbeddings(ids);
    }

    /** The head's output for representations [n][d] (attention pattern = 1 on the token itself): [n][d]. */
    public float[][] headOutput(int layer, int head, float[][] reps) {
        return math.headOutput(layer, head, math.value(layer, head, reps));
    }

    /** Logits [n][vocab] of the head's OV circuit on the given representations. */
    public float[][] logits(int layer, int head, float[][] reps) {
        return math.logits(headOutput(layer, head, reps));
    }

    /** Logits [n][vocab] of the representations unembedded directly (final norm, W_U): no head. */
    public float[][] direct(float[][] reps) {
        return math.logits(reps);
    }
}
