package io.latentwatch.interp.successor;

import io.latentwatch.interp.model.ModelConfig;

import java.util.List;

/**
 * Succession score per head (Gould et al. 2023, §2): the share of ordinal tokens t for which, among the task's
 * tokens, the head's effective OV circuit gives the largest logit to t's successor. Pooled over every
 * successor pair of every task; per task too.
 */
public record SuccessionScores(List<OrdinalTask> tasks, double[][] pooled, double[][][] perTask) {

    /** What a head of a layer reads for each token: {@link OvCircuit#inputs} (the paper) or {@link ContextualInputs#inputs}. */
    public interface Inputs {
        float[][] get(int layer, int[] ids);
    }

    public static SuccessionScores compute(OvCircuit ov, List<OrdinalTask> tasks) {
        return compute(ov, tasks, ov::inputs);
    }

    public static SuccessionScores compute(OvCircuit ov, List<OrdinalTask> tasks, Inputs inputs) {
        ModelConfig c = ov.config();
        int L = c.nLayers(), H = c.nHeads();
        double[][] pooled = new double[L][H];
        double[][][] per = new double[tasks.size()][L][H];
        int total = tasks.stream().mapToInt(t -> t.successorPairs().size()).sum();
        if (total == 0) throw new IllegalArgumentException("no ordinal tasks with successor pairs in this vocabulary");
        for (int ti = 0; ti < tasks.size(); ti++) {
            OrdinalTask t = tasks.get(ti);
            List<int[]> pairs = t.successorPairs();
            int[] src = new int[pairs.size()];
            for (int i = 0; i < src.length; i++) src[i] = t.ids()[pairs.get(i)[0]];
            for (int l = 0; l < L; l++) {
                float[][] reps = inputs.get(l, src);
                for (int h = 0; h < H; h++) {
                    float[][] lg = ov.logits(l, h, reps);
                    int hits = 0;
                    for (int i = 0; i < src.length; i++)
                        if (argmaxAmong(lg[i], t.ids()) == pairs.get(i)[1]) hits++;
                    per[ti][l][h] = (double) hits / src.length;
                    pooled[l][h] += (double) hits / total;
                }
            }
        }
        return new SuccessionScores(tasks, pooled, per);
    }

    /** Index (into {@code ids}) of the largest logit among the present ids. */
    public static int argmaxAmong(float[] logits, int[] ids) {
        int best = -1;
        for (int i = 0; i < ids.length; i++)
            if (ids[i] >= 0 && (best < 0 || logits[ids[i]] > logits[ids[best]])) best = i;
        return best;
    }

    /** {layer, head} of the highest pooled score. */
    public int[] best() {
        int[] b = {0, 0};
        for (int l = 0; l < pooled.length; l++)
            for (int h = 0; h < pooled[l].length; h++)
                if (pooled[l][h] > pooled[b[0]][b[1]]) b = new int[] {l, h};
        return b;
    }
}
