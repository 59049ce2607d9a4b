package io.latentwatch.monitor.detect;

import io.latentwatch.interp.circuits.CircuitScore;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.HeadCode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Matches circuit signatures (O'Neill & Bui 2024, arXiv 2405.12522) against one request's per-head latents at the
 * prompt's last position. Two rules, chosen by the signature:
 * <ul>
 *   <li><b>score</b> (signatures with {@code scoreThreshold} and per-head {@code outputWeights}, from the trainer's
 *       {@code CircuitRefit}): the request scores sum_h w_h . x_h over the signature's heads' outputs ({@link CircuitScore})
 *       and matches above the threshold (never below the reference prompts' 1 - falseAlarmRate quantile);</li>
 *   <li><b>codes</b> (older signatures): the code of a head is its argmax latent; a request matches when at least
 *       {@code minMatchedHeads} heads show one of their positive-only codes.</li>
 * </ul>
 * Heads whose layer was not sampled count as not matched (score 0). The score is not an out-of-distribution signal: a
 * circuit firing on its own task's prompts is normal model behaviour, which on-call may still want to know about.
 */
public final class CircuitMatcher {
    public static final String NAME = "circuit";

    /**
     * One layer's heads in this request: the code of each head (argmax latent of the circuit SAE, -1 when none is active)
     * and the heads' outputs z_h W_O[h] as published ([n_heads, d_model] row-major; null when not at hand).
     */
    public record HeadLatents(int[] codes, float[] outputs) {
        /** Codes only: score signatures cannot be scored and fall back to their codes. */
        public static HeadLatents ofCodes(int[] codes) { return new HeadLatents(codes, null); }

        boolean hasOutputs() { return outputs != null && codes.length > 0 && outputs.length % codes.length == 0; }

        int dModel() { return outputs.length / codes.length; }
    }

    /**
     * A match. For the code rule, score = heads matched and threshold = heads required; for the score rule, the per-head
     * score and its threshold. {@code matched} names the heads (with their code, or their share of the score).
     */
    public record Match(String circuit, int matchedHeads, int heads, int required, List<String> matched, boolean scored,
                        double score, double threshold) {
        public Match(String circuit, int matchedHeads, int heads, int required, List<String> matched) {
            this(circuit, matchedHeads, heads, required, matched, false, matchedHeads, required);
        }

        /** One line for the alert's summary. */
        public String describe() {
            return scored
                    ? String.format(Locale.ROOT, "per-head score %.3f above %.3f (%s)", score, threshold, String.join(", ", matched))
                    : String.format(Locale.ROOT, "%d of %d heads show their positive-only codes (%s)", matchedHeads, heads, String.join(", ", matched));
        }
    }

    private CircuitMatcher() {}

    /** Code matching only (see {@link #match(List, Map)} for signatures with a score). */
    public static List<Match> matchCodes(List<CircuitSignature> signatures, Map<Integer, int[]> codes) {
        Map<Integer, HeadLatents> h = new TreeMap<>();
        codes.forEach((l, c) -> h.put(l, HeadLatents.ofCodes(c)));
        return match(signatures, h);
    }

    /** @param heads per layer, this request's head latents */
    public static List<Match> match(List<CircuitSignature> signatures, Map<Integer, HeadLatents> heads) {
        List<Match> out = new ArrayList<>();
        for (CircuitSignature s : signatures) {
            Match m = scorable(s, heads) ? byScore(s, heads) : byCodes(s, heads);
            if (m != null) out.add(m);
        }
        return out;
    }

    private static boolean scorable(CircuitSignature s, Map<Integer, HeadLatents> heads) {
        if (s.getScoreThreshold() == null) return false;
        for (HeadCode h : s.getHeads()) {
            if (h.getOutputWeights().isEmpty()) return false;
            HeadLatents l = heads.get(h.getLayer());
            if (l != null && (!l.hasOutputs() || l.dModel() != h.getOutputWeights().size())) return false;
        }
        return true;
    }

    private static Match byScore(CircuitSignature s, Map<Integer, HeadLatents> heads) {
        double total = 0;
        List<String> parts = new ArrayList<>();
        int contributing = 0;
        for (HeadCode h : s.getHeads()) {
            HeadLatents l = heads.get(h.getLayer());
            if (l == null || h.getHead() < 0 || h.getHead() >= l.codes().length) continue;
            float[] w = new float[h.getOutputWeights().size()];
            for (int i = 0; i < w.length; i++) w[i] = h.getOutputWeights().get(i);
            double sc = CircuitScore.dot(w, l.outputs(), h.getHead() * w.length);
            total += sc;
            contributing++;
            parts.add(String.format(Locale.ROOT, "L%dH%d %.3f", h.getLayer(), h.getHead(), sc));
        }
        double t = s.getScoreThreshold();
        return total > t ? new Match(s.getName(), contributing, s.getHeads().size(), 1, parts, true, total, t) : null;
    }

    private static Match byCodes(CircuitSignature s, Map<Integer, HeadLatents> heads) {
        int hit = 0;
        List<String> which = new ArrayList<>();
        for (HeadCode h : s.getHeads()) {
            HeadLatents l = heads.get(h.getLayer());
            if (l == null || h.getHead() < 0 || h.getHead() >= l.codes().length) continue;
            int code = l.codes()[h.getHead()];
            if (h.getCodes().contains(code)) {
                hit++;
                which.add("L" + h.getLayer() + "H" + h.getHead() + "=" + code);
            }
        }
        int required = Math.max(1, s.getMinMatchedHeads());
        return hit >= required ? new Match(s.getName(), hit, s.getHeads().size(), required, which) : null;
    }
}
