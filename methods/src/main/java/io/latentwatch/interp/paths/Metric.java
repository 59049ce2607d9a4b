package io.latentwatch.interp.paths;

/** The behaviour metrics of the path-patching paper: logit difference (higher = behaviour) and loss (lower = behaviour). */
public enum Metric {
    /** Mean over the pair's positions of logit(answer) − logit(wrong). */
    LOGIT_DIFF,
    /** Mean over the pair's positions of −log softmax(logits)[answer] (nats). */
    LOSS;

    public double value(float[][] logits, PromptPair pair) {
        double sum = 0;
        for (int i = 0; i < pair.positions().length; i++) {
            float[] row = logits[pair.positions()[i]];
            if (this == LOGIT_DIFF) {
                if (pair.wrongs() == null) throw new IllegalArgumentException("logit difference needs wrong answers");
                sum += row[pair.answers()[i]] - row[pair.wrongs()[i]];
            } else {
                double max = Double.NEGATIVE_INFINITY;
                for (float v : row) max = Math.max(max, v);
                double z = 0;
                for (float v : row) z += Math.exp(v - max);
                sum += max + Math.log(z) - row[pair.answers()[i]];
            }
        }
        return sum / pair.positions().length;
    }

    public String label() { return this == LOGIT_DIFF ? "logit difference" : "loss (nats)"; }
}
