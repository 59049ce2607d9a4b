package io.latentwatch.interp.lens;

import io.latentwatch.interp.tensor.Logits;
import io.latentwatch.interp.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Plain-Java helpers on one logit row (double accumulation). */
public final class LensMath {
    private LensMath() {}

    /** {@link Logits#logSoftmax(float[], int, int)}. */
    public static double[] logSoftmax(float[] logits, int off, int n) { return Logits.logSoftmax(logits, off, n); }

    public static double[] logSoftmax(float[] logits) { return Logits.logSoftmax(logits); }

    /** {@link Logits#argmax(float[], int, int)}. */
    public static int argmax(float[] a, int off, int n) { return Logits.argmax(a, off, n); }

    public static int argmax(float[] a) { return Logits.argmax(a); }

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
