package io.latentwatch.interp.lens;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.latentwatch.interp.model.TransformerForward;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Logit lens (nostalgebraist 2020; Patchscopes' special case with an empty target, Ghandeharioun et al. 2024 §3):
 * a residual vector from any layer goes through the model's final norm and unembedding as if it were the last
 * layer's output. A batch of n vectors is one [n, d] x [d, V] matmul.
 */
public final class LogitLens {
    private final HookedTransformer model;

    public LogitLens(HookedTransformer model) {
        this.model = model;
    }

    public HookedTransformer model() { return model; }

    /** Logits [n, vocab] for hidden states [n, d_model] (or [d_model] for one vector, giving [1, vocab]). */
    public Tensor logits(Tensor hidden) {
        int d = model.config().dModel();
        int n = checkHidden(hidden, d);
        try (NDManager sub = model.manager().newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = sub.create(hidden.data(), new Shape(n, d));
            float[] out = TransformerForward.unembed(model.params(), x).toFloatArray();
            return new Tensor(out, n, model.config().vocabSize());
        }
    }

    /** Top-k tokens with probabilities per row of {@code hidden}. */
    public List<List<DecodedToken>> topK(Tensor hidden, int k) {
        return topKOfLogits(logits(hidden), k, model);
    }

    /** Top-k tokens of one vector. */
    public List<DecodedToken> topK(float[] hidden, int k) {
        return topK(new Tensor(hidden, 1, hidden.length), k).get(0);
    }

    static int checkHidden(Tensor hidden, int d) {
        int[] s = hidden.shape();
        if (s.length == 1 && s[0] == d) return 1;
        if (s.length == 2 && s[1] == d) return s[0];
        throw new IllegalArgumentException("hidden states must be [n, " + d + "] or [" + d + "], got " + Arrays.toString(s));
    }

    static List<List<DecodedToken>> topKOfLogits(Tensor logits, int k, HookedTransformer m) {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        int n = logits.dim(0), v = logits.dim(1);
        List<List<DecodedToken>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(LensMath.topK(logits.data(), i * v, v, k, m.tokenizer()));
        return out;
    }
}
