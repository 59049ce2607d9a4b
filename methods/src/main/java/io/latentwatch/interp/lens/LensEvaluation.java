package io.latentwatch.interp.lens;

import io.latentwatch.interp.lens.patchscope.Patchscope;
import io.latentwatch.interp.lens.patchscope.TokenIdentityPrompt;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The paper's first experiment (Ghandeharioun et al. 2024, §4.1, "decoding next-token predictions"), for every
 * residual layer l and three decoders of the hidden state h_l,i at every non-BOS position i of held-out text:
 * <ul>
 *   <li>{@code logit_lens}: final norm + unembedding of h_l,i;</li>
 *   <li>{@code tuned_lens}: the same after the layer's trained affine translator;</li>
 *   <li>{@code token_identity}: h_l,i patched into the identity prompt's last position at the same layer (l* = l),
 *       same model, next-token distribution read there.</li>
 * </ul>
 * With y*_i = argmax of the model's own final next-token distribution at position i, and q_l,i the decoder's
 * distribution:
 * <pre>
 *   precision_at_1(l) = mean_i [ argmax q_l,i == y*_i ]
 *   surprisal(l)      = mean_i -ln q_l,i(y*_i)             (nats; the decoder's surprise at the model's own top-1)
 *   kl_to_final(l)    = mean_i KL(p_final,i || q_l,i)       (nats)
 * </pre>
 * At l = n_layers the logit and tuned lens are the model itself (precision 1, surprisal = the model's own
 * -ln p(y*), KL 0).
 */
public final class LensEvaluation {
    public static final String LOGIT = "logit_lens", TUNED = "tuned_lens", TOKEN_IDENTITY = "token_identity";

    private LensEvaluation() {}

    /** Scores per method name; {@code tuned} may be null (then that method is left out). */
    public static Map<String, List<LayerScore>> evaluate(HookedTransformer m, ResidualDataset data, TunedLens tuned,
                                                         boolean tokenIdentity, IntConsumer onLayer) {
        int layers = data.residuals().size(), v = m.config().vocabSize(), n = data.size();
        int[] top = new int[n];
        for (int i = 0; i < n; i++) top[i] = LensMath.argmax(data.logits().data(), i * v, v);
        LogitLens logit = new LogitLens(m);
        int[] idPrompt = tokenIdentity ? TokenIdentityPrompt.tokens(m) : null;
        Map<String, List<LayerScore>> out = new LinkedHashMap<>();
        out.put(LOGIT, new ArrayList<>());
        if (tuned != null) out.put(TUNED, new ArrayList<>());
        if (tokenIdentity) out.put(TOKEN_IDENTITY, new ArrayList<>());
        for (int l = 0; l < layers; l++) {
            Tensor h = data.residuals().get(l);
            out.get(LOGIT).add(score(l, logit.logits(h), data, top));
            if (tuned != null) out.get(TUNED).add(score(l, tuned.logits(l, h), data, top));
            if (tokenIdentity) out.get(TOKEN_IDENTITY).add(score(l, Patchscope.nextTokenLogits(m, idPrompt, l, -1, h, 128), data, top));
            if (onLayer != null) onLayer.accept(l);
        }
        return out;
    }

    /** Precision@1, surprisal and KL of decoder logits [n, V] against the model's final logits (plain Java). */
    public static LayerScore score(int layer, Tensor decoderLogits, ResidualDataset data, int[] top) {
        int v = decoderLogits.dim(1), n = decoderLogits.dim(0);
        double hits = 0, surprisal = 0, kl = 0;
        for (int i = 0; i < n; i++) {
            double[] lq = LensMath.logSoftmax(decoderLogits.data(), i * v, v);
            double[] lp = LensMath.logSoftmax(data.logits().data(), i * v, v);
            if (LensMath.argmax(decoderLogits.data(), i * v, v) == top[i]) hits++;
            surprisal += -lq[top[i]];
            kl += LensMath.kl(lp, lq);
        }
        return new LayerScore(layer, hits / n, surprisal / n, kl / n);
    }
}
