package io.latentwatch.interp.circuits;

import java.util.List;
import java.util.Random;

/**
 * How well a discovery ranks the heads (nodes) and head pairs (edges) of a known circuit.
 * A ground-truth edge is a pair of distinct circuit heads (unordered: positive-only co-occurrence is
 * symmetric). AUCs are rank-based ({@link RocAuc}); P/R/F1 at the threshold with the best F1.
 *
 * @param nodeAuc          node ROC-AUC of the chosen node score
 * @param nodeAucShare     node ROC-AUC of the share score
 * @param nodeAucCount     node ROC-AUC of the positive-only code count
 * @param edgeAuc          edge ROC-AUC (NaN when the circuit has fewer than two heads)
 * @param normAuc          baseline: heads ranked by mean output norm on positives (no SAE, no ablation)
 * @param normDiffAuc      baseline: heads ranked by |mean norm on positives - on negatives|
 * @param randomAuc        baseline: mean AUC of 1000 seeded random rankings (≈ 0.5)
 * @param nodeRoc          ROC curve points of the chosen node score
 */
public record CircuitEvaluation(GroundTruth truth, double nodeAuc, double nodeAucShare, double nodeAucCount, double edgeAuc,
                                RocAuc.Threshold nodeBest, RocAuc.Threshold edgeBest,
                                double normAuc, double normDiffAuc, double randomAuc, double[][] nodeRoc, double[][] edgeRoc) {

    public static CircuitEvaluation of(CircuitDiscovery.Result r, GroundTruth truth) {
        int H = r.heads(), HH = r.layers() * H;
        for (HeadId h : truth.heads()) {
            if (h.layer() >= r.layers() || h.head() >= H) {
                throw new IllegalArgumentException("ground-truth head " + h + " (" + truth.source() + ") is outside the model's "
                        + r.layers() + " layers x " + H + " heads");
            }
        }
        double[] share = new double[HH], count = new double[HH], chosen = new double[HH];
        boolean[] label = new boolean[HH];
        for (CodeScoring.NodeScore n : r.nodes()) {
            int i = n.head().index(H);
            share[i] = n.share();
            count[i] = n.positiveOnlyCodes();
            chosen[i] = r.nodeScore(n);
            label[i] = truth.contains(n.head());
        }
        List<CodeScoring.EdgeScore> es = r.edges();
        double[] edge = new double[es.size()];
        boolean[] elabel = new boolean[es.size()];
        for (int i = 0; i < es.size(); i++) {
            CodeScoring.EdgeScore e = es.get(i);
            edge[i] = r.options().scoring() == CircuitDiscovery.NodeScoring.SHARE ? e.share() : e.positiveOnlyPairs();
            elabel[i] = truth.contains(e.from()) && truth.contains(e.to());
        }
        Random rnd = new Random(12345);
        double sum = 0;
        int n = 1000;
        for (int k = 0; k < n; k++) {
            double[] rs = new double[HH];
            for (int i = 0; i < HH; i++) rs[i] = rnd.nextDouble();
            sum += RocAuc.auc(rs, label);
        }
        return new CircuitEvaluation(truth, RocAuc.auc(chosen, label), RocAuc.auc(share, label), RocAuc.auc(count, label),
                RocAuc.auc(edge, elabel), RocAuc.bestF1(chosen, label), RocAuc.bestF1(edge, elabel),
                RocAuc.auc(r.outputNorm(), label), RocAuc.auc(r.normDifference(), label), sum / n,
                RocAuc.curve(chosen, label), RocAuc.curve(edge, elabel));
    }
}
