package io.latentwatch.interp.zoo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * Ground-truth circuits of a zoo model, found by activation patching: every attention head is
 * mean-ablated in turn (its {@code hook_z} replaced, at every position, by its mean over the task's
 * prompts) and the drop of the task metric is measured, relative to the drop when all heads are
 * mean-ablated at once: {@code effect = (M_clean − M_head) / (M_clean − M_all)}. Heads with
 * {@code effect >= THRESHOLD} are the task's circuit. Attention-pattern scores label the roles
 * (previous-token and induction heads after Olsson et al. 2022; IOI name movers after Wang et al.
 * 2022: the last position attends to the indirect object).
 */
public final class ZooCircuits {
    public static final double THRESHOLD = 0.10;
    public static final long POS_SEED = 31337L, NEG_SEED = 31338L;
    public static final int INDUCTION_LEN = 10;

    private ZooCircuits() {}

    /** A task: a metric over the model under hooks (higher = behaviour present). */
    public record Task(String name, String metric, ToDoubleFunction<ZooLlama.Hooks> score) {}

    /** Hooks that mean-ablate the given heads (set of layer * 1000 + head) over the batch dimension. */
    public static ZooLlama.Hooks meanAblate(ZooLlama model, Set<Integer> heads) {
        int nh = model.config().numHeads();
        return new ZooLlama.Hooks() {
            @Override public NDArray z(int layer, NDArray z) {
                float[] mask = new float[nh];
                boolean any = false;
                for (int h = 0; h < nh; h++) if (heads.contains(layer * 1000 + h)) { mask[h] = 1; any = true; }
                if (!any) return z;
                NDManager m = z.getManager();
                NDArray mk = m.create(mask, new Shape(1, nh, 1, 1));
                NDArray mean = z.mean(new int[] {0}, true);
                return z.mul(mk.neg().add(1f)).add(mean.mul(mk));
            }
        };
    }

    public static Set<Integer> allHeads(ZooConfig c) {
        Set<Integer> s = new TreeSet<>();
        for (int l = 0; l < c.numLayers(); l++) for (int h = 0; h < c.numHeads(); h++) s.add(l * 1000 + h);
        return s;
    }

    /** Effects [layer][head] of mean-ablating each head alone, plus [clean, all-ablated] metric values. */
    public static double[][] effects(ZooLlama model, Task task, double[] cleanAndAll) {
        ZooConfig c = model.config();
        double clean = task.score().applyAsDouble(ZooLlama.NO_HOOKS);
        double all = task.score().applyAsDouble(meanAblate(model, allHeads(c)));
        cleanAndAll[0] = clean;
        cleanAndAll[1] = all;
        double[][] e = new double[c.numLayers()][c.numHeads()];
        for (int l = 0; l < c.numLayers(); l++)
            for (int h = 0; h < c.numHeads(); h++)
                e[l][h] = (clean - task.score().applyAsDouble(meanAblate(model, Set.of(l * 1000 + h)))) / (clean - all);
        return e;
    }

    /** The tasks with their fixed prompt sets. */
    public static List<Task> tasks(ZooLlama m) {
        int[][] ind = ZooTasks.inductionPrompts(POS_SEED, 48, INDUCTION_LEN, true);
        List<ZooTasks.Prompt> ioi = ZooTasks.ioiPrompts(POS_SEED, 96, false);
        List<ZooTasks.Prompt> succ = ZooTasks.successionPrompts(null);
        List<ZooTasks.Prompt> gt = ZooTasks.greaterThanPrompts();
        return List.of(
                new Task("induction", "minus the mean loss on the second copy of a repeated random 10-token sequence",
                        h -> -ZooTasks.inductionLosses(m, ind, h)[1]),
                new Task("ioi", "mean logit(IO) - logit(S) at the last position of 'when A and B went to the PLACE , S gave a OBJ to'",
                        h -> mean(ZooTasks.logitDiffs(m, ioi, h))),
                new Task("succession", "mean log-probability of the successor after 'x y z' runs (numbers, number words, weekdays, months, letters)",
                        h -> ZooTasks.meanAnswerLogProb(m, succ, h)),
                new Task("greater_than", "mean P(number > N) - P(number < N) after 'it ran from N to'",
                        h -> ZooTasks.greaterThanProbDiff(m, gt, h)));
    }

    /**
     * Attention scores [kind][layer][head]: 0 previous-token and 1 induction (Olsson et al.) on repeated
     * random sequences; on IOI prompts the last position's attention 2 to the IO name, 3 to the first
     * subject mention, 4 to the repeated subject.
     */
    public static double[][][] attentionScores(ZooLlama model) {
        ZooConfig c = model.config();
        int L = c.numLayers(), H = c.numHeads(), len = INDUCTION_LEN;
        double[][][] s = new double[5][L][H];
        int[][] ind = ZooTasks.inductionPrompts(POS_SEED, 48, len, true);
        List<float[]> pats = capture(model, ind);
        int T = ind[0].length, B = ind.length;
        for (int l = 0; l < L; l++) {
            float[] p = pats.get(l);
            for (int h = 0; h < H; h++) {
                double prev = 0, induct = 0;
                int np = 0, ni = 0;
                for (int b = 0; b < B; b++) {
                    for (int q = 2; q < T; q++) { prev += p[idx(b, h, q, q - 1, H, T)]; np++; }
                    // second-copy position of seq[j] attends to the first-copy position of seq[j+1]
                    for (int j = 0; j < len - 1; j++) { induct += p[idx(b, h, 1 + len + j, 2 + j, H, T)]; ni++; }
                }
                s[0][l][h] = prev / np;
                s[1][l][h] = induct / ni;
            }
        }
        List<ZooTasks.Prompt> ioi = ZooTasks.ioiPrompts(POS_SEED, 96, false);
        int[][] toks = ZooTasks.tokens(ioi);
        List<float[]> ip = capture(model, toks);
        int Ti = toks[0].length;
        for (int l = 0; l < L; l++) {
            for (int h = 0; h < H; h++) {
                double io = 0, s1 = 0, s2 = 0;
                for (int b = 0; b < toks.length; b++) {
                    // the names sit at positions 2 and 4 ("[BOS] when A and B ...")
                    int ioPos = toks[b][2] == ioi.get(b).answer() ? 2 : 4, sPos = 6 - ioPos;
                    io += ip.get(l)[idx(b, h, Ti - 1, ioPos, H, Ti)];
                    s1 += ip.get(l)[idx(b, h, Ti - 1, sPos, H, Ti)];
                    s2 += ip.get(l)[idx(b, h, Ti - 1, 10, H, Ti)]; // the repeated subject "S gave"
                }
                s[4][l][h] = s2 / toks.length;
                s[2][l][h] = io / toks.length;
                s[3][l][h] = s1 / toks.length;
            }
        }
        return s;
    }

    private static int idx(int b, int h, int q, int k, int H, int T) { return ((b * H + h) * T + q) * T + k; }

    private static List<float[]> capture(ZooLlama model, int[][] prompts) {
        List<float[]> out = new ArrayList<>();
        ZooTasks.lastLogits(model, prompts, new ZooLlama.Hooks() {
            @Override public void pattern(int layer, NDArray pattern) { out.add(pattern.toFloatArray()); }
        });
        return out;
    }

    static double mean(double[] a) {
        double s = 0;
        for (double x : a) s += x;
        return s / a.length;
    }

    private static String role(String task, int l, int h, double[][][] att) {
        switch (task) {
            case "induction":
                if (att[1][l][h] >= 0.3) return "induction";
                if (att[0][l][h] >= 0.3) return "previous_token";
                return "other";
            case "ioi":
                if (att[2][l][h] >= 0.2 && att[2][l][h] > 2 * att[3][l][h]) return "name_mover";
                if (att[2][l][h] + att[3][l][h] >= 0.3) return "name_attender";
                if (att[4][l][h] >= 0.3) return "subject_attender";
                return "other";
            case "succession":
                return "successor_candidate";
            default:
                return "other";
        }
    }

    private static ArrayNode matrix(ObjectMapper om, double[][] m) {
        ArrayNode a = om.createArrayNode();
        for (double[] row : m) {
            ArrayNode r = a.addArray();
            for (double x : row) r.add(Math.round(x * 10000) / 10000.0);
        }
        return a;
    }

    /** Computes everything and writes {@code circuits.json}. */
    public static ObjectNode build(ZooLlama m, String modelName) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("model", modelName);
        root.put("method", "per-head mean ablation of blocks.L.attn.hook_z (mean over the task prompts, every position); "
                + "effect = (M_clean - M_head_ablated) / (M_clean - M_all_heads_ablated)");
        root.put("threshold", THRESHOLD);
        double[][][] att = attentionScores(m);
        ObjectNode scores = root.putObject("attention_scores");
        scores.set("previous_token", matrix(om, att[0]));
        scores.set("induction", matrix(om, att[1]));
        scores.set("ioi_last_to_io", matrix(om, att[2]));
        scores.set("ioi_last_to_s1", matrix(om, att[3]));
        scores.set("ioi_last_to_s2", matrix(om, att[4]));
        ObjectNode tasks = root.putObject("tasks");
        for (Task t : tasks(m)) {
            double[] ca = new double[2];
            double[][] e = effects(m, t, ca);
            ObjectNode tn = tasks.putObject(t.name());
            tn.put("metric", t.metric());
            tn.put("metric_clean", ca[0]);
            tn.put("metric_all_heads_ablated", ca[1]);
            tn.set("effects", matrix(om, e));
            ArrayNode heads = tn.putArray("heads");
            for (int l = 0; l < e.length; l++)
                for (int h = 0; h < e[l].length; h++)
                    if (e[l][h] >= THRESHOLD)
                        heads.addObject().put("layer", l).put("head", h).put("effect", Math.round(e[l][h] * 10000) / 10000.0)
                                .put("role", role(t.name(), l, h, att));
            examples(tn, t.name());
        }
        return root;
    }

    /** Equal-length positive and negative example prompts (for circuit identification, issue 4). */
    private static void examples(ObjectNode tn, String task) {
        List<String> pos = new ArrayList<>(), neg = new ArrayList<>();
        switch (task) {
            case "induction" -> {
                tn.put("positive_template", "[BOS] k1 .. k10 k1 .. k10 (random content words, repeated)");
                tn.put("negative_template", "[BOS] k1 .. k10 m1 .. m10 (random content words, not repeated)");
                for (int[] p : ZooTasks.inductionPrompts(POS_SEED, 20, INDUCTION_LEN, true)) pos.add(ZooVocabulary.get().decode(p));
                for (int[] p : ZooTasks.inductionPrompts(NEG_SEED, 20, INDUCTION_LEN, false)) neg.add(ZooVocabulary.get().decode(p));
            }
            case "ioi" -> {
                tn.put("positive_template", "[BOS] when A and B went to the PLACE , S gave a OBJECT to  (S in {A, B}; answer: the other name)");
                tn.put("negative_template", "[BOS] when A and B went to the PLACE , C gave a OBJECT to  (three different names)");
                ZooTasks.ioiPrompts(POS_SEED, 20, false).forEach(p -> pos.add(p.text()));
                ZooTasks.ioiNegativePrompts(NEG_SEED, 20).forEach(p -> neg.add(p.text()));
            }
            case "succession" -> {
                tn.put("positive_template", "[BOS] x y z  (three consecutive items of numbers, number words, weekdays, months or letters)");
                tn.put("negative_template", "[BOS] x y z  (three non-consecutive items of one sequence)");
                List<ZooTasks.Prompt> all = ZooTasks.successionPrompts(null);
                Collections.shuffle(all = new ArrayList<>(all), new Random(POS_SEED));
                all.subList(0, 20).forEach(p -> pos.add(p.text()));
                ZooTasks.successionNegativePrompts(NEG_SEED, 20).forEach(p -> neg.add(p.text()));
            }
            default -> {
                tn.put("positive_template", "[BOS] it ran from N to  (answer: a number greater than N)");
                tn.put("negative_template", "none: greater-than has no natural negative in this vocabulary");
                ZooTasks.greaterThanPrompts().subList(0, 20).forEach(p -> pos.add(p.text()));
            }
        }
        ArrayNode pa = tn.putArray("positive_examples"), na = tn.putArray("negative_examples");
        pos.forEach(pa::add);
        neg.forEach(na::add);
    }

    public static void write(ZooLlama m, String modelName, Path file) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), build(m, modelName));
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Path dir = Path.of(args[0]);
        try (NDManager nm = NDManager.newBaseManager(); ZooLlama m = ZooLlama.load(dir, nm)) {
            write(m, dir.getFileName().toString(), dir.resolve("circuits.json"));
        }
    }
}
