package io.latentwatch.interp.lens.patchscope;

import io.latentwatch.interp.lens.LensMath;
import io.latentwatch.interp.lens.ResidualLayers;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Multi-hop correction (paper §5, "CoT Patchscope"): a two-hop query ("P is from" -> country of P's city) fails
 * although the model knows both hops ("P lives in" -> city, "C is in" -> country). The Patchscope re-routes the
 * first hop's answer representation (source: the first-hop prompt, last position, layer l) into the second-hop
 * prompt at the subject position (target: the second-hop prompt with the bridge replaced by a neutral placeholder,
 * "x is in", patched at position 1 = the placeholder, layer l*), and reads the target's next token. The bridge must
 * not stay in the target prompt: from layer 1 on its information has already been moved to later positions, so
 * patching over it would measure nothing.
 *
 * <p>Protocol, as in the paper: only cases where both single hops are answered correctly (top-1) count; "before"
 * is the vanilla two-hop top-1 accuracy on them; "after" the Patchscope's accuracy. The layer pair (l, l*) is
 * chosen on the even-indexed cases and reported on the odd-indexed ones (and on all).
 */
public final class MultiHopCorrection {
    private MultiHopCorrection() {}

    /**
     * One two-hop fact, as text for the model's tokenizer.
     *
     * @param firstHop        e.g. "alice lives in" (answer: bridge)
     * @param bridge          the first hop's answer, e.g. "paris"
     * @param secondHopPrompt the second hop with the bridge in place, e.g. "paris is in" (answer: answer); its first
     *                        word (position 1 after BOS) is the placeholder overwritten by the patch
     * @param twoHop          the composed query, e.g. "alice is from"
     * @param answer          e.g. "france"
     */
    public record Case(String firstHop, String bridge, String secondHopPrompt, String twoHop, String answer) {}

    public record Result(int cases, int eligible, double accuracyBefore, int bestSourceLayer, int bestTargetLayer,
                         double accuracyAfterAll, double accuracyBeforeHeldOut, double accuracyAfterHeldOut, int heldOut,
                         double accuracyRerouteFailuresOnly, double placeholderBaseline, double[][] accuracyByLayerPair) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cases", cases);
            m.put("eligible_both_hops_correct", eligible);
            m.put("accuracy_before", accuracyBefore);
            m.put("best_source_layer", bestSourceLayer);
            m.put("best_target_layer", bestTargetLayer);
            m.put("accuracy_after_all", accuracyAfterAll);
            m.put("held_out_cases", heldOut);
            m.put("accuracy_before_held_out", accuracyBeforeHeldOut);
            m.put("accuracy_after_held_out", accuracyAfterHeldOut);
            m.put("accuracy_reroute_failures_only", accuracyRerouteFailuresOnly);
            m.put("placeholder_unpatched_accuracy", placeholderBaseline);
            m.put("accuracy_by_layer_pair", accuracyByLayerPair);
            return m;
        }
    }

    public static Result evaluate(HookedTransformer m, List<Case> cases) {
        return evaluate(m, cases, "x");
    }

    /** @param placeholder the word that replaces the bridge in the target prompt (one token) */
    public static Result evaluate(HookedTransformer m, List<Case> cases, String placeholder) {
        int layers = ResidualLayers.count(m.config()), v = m.config().vocabSize();
        List<Case> ok = new ArrayList<>();
        for (Case c : cases) {
            if (top1(m, c.firstHop()) == single(m, c.bridge()) && top1(m, c.secondHopPrompt()) == single(m, c.answer())) ok.add(c);
        }
        int n = ok.size();
        if (n == 0) throw new IllegalStateException("no case with both single hops correct: the model does not know the facts");
        boolean[] before = new boolean[n];
        for (int i = 0; i < n; i++) before[i] = top1(m, ok.get(i).twoHop()) == single(m, ok.get(i).answer());
        // correct[l][l*][i]
        boolean[][][] correct = new boolean[layers][layers][n];
        int placeholderHits = 0;
        int ph = single(m, placeholder);
        for (int i = 0; i < n; i++) {
            Case c = ok.get(i);
            int[] src = m.toTokens(c.firstHop()), tgt = m.toTokens(c.secondHopPrompt());
            int bridge = single(m, c.bridge());
            if (tgt.length < 2 || tgt[1] != bridge) {
                throw new IllegalArgumentException("second-hop prompt '" + c.secondHopPrompt() + "' must start with the bridge '" + c.bridge() + "'");
            }
            tgt[1] = ph;
            int want = single(m, c.answer());
            Tensor unpatched = m.logits(tgt);
            if (LensMath.argmax(unpatched.row(unpatched.dim(0) - 1)) == want) placeholderHits++;
            for (int l = 0; l < layers; l++) {
                float[] h = Patchscope.sourceVector(m, src, l, src.length - 1);
                for (int ls = 0; ls < layers; ls++) {
                    Tensor logits = Patchscope.nextTokenLogits(m, tgt, ls, 1, new Tensor(h, 1, h.length), 1);
                    correct[l][ls][i] = LensMath.argmax(logits.data(), 0, v) == want;
                }
            }
        }
        double[][] acc = new double[layers][layers];
        int bl = 0, bls = 0;
        double best = -1;
        for (int l = 0; l < layers; l++) {
            for (int ls = 0; ls < layers; ls++) {
                int all = 0, sel = 0, selN = 0;
                for (int i = 0; i < n; i++) {
                    if (correct[l][ls][i]) all++;
                    if (i % 2 == 0) { selN++; if (correct[l][ls][i]) sel++; }
                }
                acc[l][ls] = (double) all / n;
                double s = selN == 0 ? 0 : (double) sel / selN;
                if (s > best) { best = s; bl = l; bls = ls; }
            }
        }
        int heldN = 0, heldBefore = 0, heldAfter = 0, reroute = 0, beforeAll = 0;
        for (int i = 0; i < n; i++) {
            if (before[i]) beforeAll++;
            if ((before[i] || correct[bl][bls][i])) reroute++;
            if (i % 2 == 1) {
                heldN++;
                if (before[i]) heldBefore++;
                if (correct[bl][bls][i]) heldAfter++;
            }
        }
        return new Result(cases.size(), n, (double) beforeAll / n, bl, bls, acc[bl][bls],
                heldN == 0 ? Double.NaN : (double) heldBefore / heldN, heldN == 0 ? Double.NaN : (double) heldAfter / heldN, heldN,
                (double) reroute / n, (double) placeholderHits / n, acc);
    }

    static int top1(HookedTransformer m, String prompt) {
        Tensor logits = m.logits(m.toTokens(prompt));
        return LensMath.argmax(logits.row(logits.dim(0) - 1));
    }

    /** The id of a word that must be a single token. */
    static int single(HookedTransformer m, String word) {
        int[] ids = m.tokenizer().encode(word, false);
        if (ids.length != 1) throw new IllegalArgumentException("'" + word + "' is " + ids.length + " tokens in " + m.modelId() + ", expected one");
        return ids[0];
    }
}
