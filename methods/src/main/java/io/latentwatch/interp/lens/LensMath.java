package io.latentwatch.interp.lens;

import io.latentwatch.interp.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Plain-Java helpers on one logit row (double accumulation). */
public final class LensMath {
    private LensMath() {}

    public static double[] logSoftmax(float[] logits, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[off + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(logits[off + i] - max);
        double lse = max + Math.log(s);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = logits[off + i] - lse;
        return out;
    }

    public static double[] logSoftmax(float[] logits) { return logSoftmax(logits, 0, logits.length); }

    public static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
        return best;
    }

    public static int argmax(float[] a) { return argmax(a, 0, a.length); }

    /** KL(p || q) = sum_v p_v (log p_v - log q_v) for log-probabilities, in nats. */
    public static double kl(double[] logP, double[] logQ) {
        double s = 0;
        for (int i = 0; i < logP.length; i++) {
            double p = Math.exp(logP[i]);
            if (p > 0) s += p * (logP[i] - logQ[i]);
        }
        return s;
    }

    /** The k most probable tokens of one logit row, most probable first. */
    public static List<DecodedToken> topK(float[] logits, int off, int n, int k, Tokenizer tok) {
        double[] lp = logSoftmax(logits, off, n);
        int kk = Math.min(k, n);
        int[] idx = new int[kk];
        boolean[] taken = new boolean[n];
        List<DecodedToken> out = new ArrayList<>(kk);
        for (int j = 0; j < kk; j++) {
            int best = -1;
            for (int i = 0; i < n; i++) if (!taken[i] && (best < 0 || lp[i] > lp[best])) best = i;
            taken[best] = true;
            idx[j] = best;
            out.add(new DecodedToken(best, tok == null ? Integer.toString(best) : tok.tokenString(best), (float) Math.exp(lp[best])));
        }
        return out;
    }
}
