package io.latentwatch.interp.zoo;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The behaviour figures of a zoo model on held-out prompts (what models/README.md reports and the tests check). */
public final class ZooBehaviour {
    public static final long INDUCTION_SEED = 4242L, IOI_SEED = 777L;

    private ZooBehaviour() {}

    public static Map<String, Double> measure(ZooLlama m) {
        Map<String, Double> r = new LinkedHashMap<>();
        double[] ind = ZooTasks.inductionLosses(m, ZooTasks.inductionPrompts(INDUCTION_SEED, 64, 10, true), ZooLlama.NO_HOOKS);
        r.put("induction_loss_first_copy", ind[0]);
        r.put("induction_loss_second_copy", ind[1]);
        r.put("induction_ratio", ind[1] / ind[0]);
        for (ZooVocabulary.Sequence s : ZooVocabulary.sequences())
            r.put("succession_top1_" + s.name(), ZooTasks.top1Accuracy(m, ZooTasks.successionPrompts(s.name()), ZooLlama.NO_HOOKS));
        r.put("succession_top1_all", ZooTasks.top1Accuracy(m, ZooTasks.successionPrompts(null), ZooLlama.NO_HOOKS));
        double[] diffs = ZooTasks.logitDiffs(m, ZooTasks.ioiPrompts(IOI_SEED, 100, true), ZooLlama.NO_HOOKS);
        double mean = 0, pos = 0;
        for (double d : diffs) { mean += d; if (d > 0) pos++; }
        r.put("ioi_mean_logit_diff", mean / diffs.length);
        r.put("ioi_share_positive", pos / diffs.length);
        r.put("ioi_top1", ZooTasks.top1Accuracy(m, ZooTasks.ioiPrompts(IOI_SEED, 100, true), ZooLlama.NO_HOOKS));
        r.put("fact_city_top1", ZooTasks.top1Accuracy(m, ZooTasks.cityPrompts(), ZooLlama.NO_HOOKS));
        r.put("fact_country_top1", ZooTasks.top1Accuracy(m, ZooTasks.countryPrompts(), ZooLlama.NO_HOOKS));
        r.put("two_hop_top1_trained_persons", ZooTasks.top1Accuracy(m, ZooTasks.twoHopPrompts(true), ZooLlama.NO_HOOKS));
        r.put("two_hop_top1_held_out_persons", ZooTasks.top1Accuracy(m, ZooTasks.twoHopPrompts(false), ZooLlama.NO_HOOKS));
        r.put("greater_than_prob_diff", ZooTasks.greaterThanProbDiff(m, ZooTasks.greaterThanPrompts(), ZooLlama.NO_HOOKS));
        return r;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        try (NDManager nm = NDManager.newBaseManager();
             ZooLlama m = ZooLlama.load(Path.of(args[0]), nm)) {
            measure(m).forEach((k, v) -> System.out.printf("%-34s %.4f%n", k, v));
        }
    }

    static double mean(List<Double> l) { return l.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN); }
}
