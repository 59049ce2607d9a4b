package io.latentwatch.interp.successor;

/**
 * Where the bias towards larger numbers lives (Gould et al. 2023 §4; Hanna et al. 2023): for each number t,
 * bias(t) = mean logit over numbers u > t minus mean logit over numbers u < t (logits restricted to the number
 * tokens), averaged over t with both sides non-empty; computed for the head's OV circuit on what it reads
 * (the effective embedding; the raw embedding for a block-0 head), on the raw embedding (no MLP0), on MLP0's output alone, and for the effective embedding
 * unembedded directly (no head).
 */
public final class GreaterThanBias {
    private GreaterThanBias() {}

    public record Result(double ovEffective, double ovEmbeddingOnly, double ovMlp0Only, double directEffective, double directMlp0) {}

    public static Result analyse(OvCircuit ov, int layer, int head, int[] ids, int[] values) {
        float[][] e = ov.embeddings(ids), m = ov.mlp0(e), r = ov.inputs(layer, ids);
        return new Result(bias(ov.logits(layer, head, r), ids, values), bias(ov.logits(layer, head, e), ids, values),
                bias(ov.logits(layer, head, m), ids, values), bias(ov.direct(r), ids, values), bias(ov.direct(m), ids, values));
    }

    static double bias(float[][] logits, int[] ids, int[] values) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            double gt = 0, lt = 0;
            int ng = 0, nl = 0;
            for (int j = 0; j < ids.length; j++) {
                if (values[j] > values[i]) { gt += logits[i][ids[j]]; ng++; }
                else if (values[j] < values[i]) { lt += logits[i][ids[j]]; nl++; }
            }
            if (ng == 0 || nl == 0) continue;
            sum += gt / ng - lt / nl;
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
