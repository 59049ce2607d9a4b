package io.latentwatch.interp.circuits;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Rank-based ROC-AUC (Mann-Whitney U / (n_pos n_neg), ties counted 1/2) and the best-F1 threshold.
 */
public final class RocAuc {
    private RocAuc() {}

    /** Precision, recall and F1 when every item scoring >= threshold is called positive. */
    public record Threshold(double threshold, double precision, double recall, double f1) {}

    /** AUC of {@code scores} against {@code labels}; NaN when a class is empty. Average ranks handle ties. */
    public static double auc(double[] scores, boolean[] labels) {
        check(scores, labels);
        int n = scores.length;
        Integer[] idx = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, Comparator.comparingDouble(i -> scores[i]));
        double[] rank = new double[n];
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && scores[idx[j + 1]] == scores[idx[i]]) j++;
            double avg = (i + j) / 2.0 + 1;               // ranks are 1-based
            for (int k = i; k <= j; k++) rank[idx[k]] = avg;
            i = j + 1;
        }
        long nPos = 0;
        double rankSum = 0;
        for (int i = 0; i < n; i++) if (labels[i]) { nPos++; rankSum += rank[i]; }
        long nNeg = n - nPos;
        if (nPos == 0 || nNeg == 0) return Double.NaN;
        double u = rankSum - nPos * (nPos + 1) / 2.0;
        return u / ((double) nPos * nNeg);
    }

    /** ROC points (false-positive rate, true-positive rate), one per distinct threshold, from (0,0) to (1,1). */
    public static double[][] curve(double[] scores, boolean[] labels) {
        check(scores, labels);
        double[] th = Arrays.stream(scores).distinct().sorted().toArray();
        long nPos = 0;
        for (boolean b : labels) if (b) nPos++;
        long nNeg = labels.length - nPos;
        double[][] pts = new double[th.length + 2][];
        pts[0] = new double[] {0, 0};
        for (int k = th.length - 1, r = 1; k >= 0; k--, r++) {
            long tp = 0, fp = 0;
            for (int i = 0; i < scores.length; i++) if (scores[i] >= th[k]) { if (labels[i]) tp++; else fp++; }
            pts[r] = new double[] {nNeg == 0 ? 0 : (double) fp / nNeg, nPos == 0 ? 0 : (double) tp / nPos};
        }
        pts[pts.length - 1] = new double[] {1, 1};
        return pts;
    }

    /** The threshold (one of the scores) with the highest F1; ties go to the higher threshold. */
    public static Threshold bestF1(double[] scores, boolean[] labels) {
        check(scores, labels);
        double[] th = Arrays.stream(scores).distinct().sorted().toArray();
        Threshold best = new Threshold(Double.NaN, 0, 0, 0);
        for (int k = th.length - 1; k >= 0; k--) {
            long tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < scores.length; i++) {
                boolean call = scores[i] >= th[k];
                if (call && labels[i]) tp++;
                else if (call) fp++;
                else if (labels[i]) fn++;
            }
            double p = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
            double r = tp + fn == 0 ? 0 : (double) tp / (tp + fn);
            double f = p + r == 0 ? 0 : 2 * p * r / (p + r);
            if (f > best.f1()) best = new Threshold(th[k], p, r, f);
        }
        return best;
    }

    private static void check(double[] scores, boolean[] labels) {
        if (scores.length != labels.length) {
            throw new IllegalArgumentException("scores (" + scores.length + ") and labels (" + labels.length + ") differ in length");
        }
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) throw new IllegalArgumentException("score " + i + " is NaN");
        }
    }
}
