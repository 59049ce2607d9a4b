package io.latentwatch.interp.zoo;

import io.latentwatch.interp.tensor.Logits;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Held-out prompts for the planted behaviours and the metrics that measure them. Every prompt set
 * of one task has equal token length (so it runs as one batch and suits equal-length
 * positive/negative sets for circuit identification).
 */
public final class ZooTasks {
    private ZooTasks() {}

    static final ZooVocabulary V = ZooVocabulary.get();

    /** A prompt with the token that should come next and, where the task has one, a distractor token. */
    public record Prompt(int[] tokens, int answer, int distractor) {
        public String text() { return V.decode(tokens); }
    }

    static int[] withBos(String text) {
        int[] t = V.encode(text), out = new int[t.length + 1];
        out[0] = V.bos();
        System.arraycopy(t, 0, out, 1, t.length);
        return out;
    }

    // ---------------------------------------------------------------- induction
    /** BOS + a random sequence of {@code len} content words + the same sequence again. */
    public static int[][] inductionPrompts(long seed, int n, int len, boolean repeated) {
        Random r = new Random(seed);
        List<String> pool = V.contentWords();
        int[][] out = new int[n][1 + 2 * len];
        for (int i = 0; i < n; i++) {
            out[i][0] = V.bos();
            for (int j = 0; j < len; j++) out[i][1 + j] = V.id(pool.get(r.nextInt(pool.size())));
            for (int j = 0; j < len; j++)
                out[i][1 + len + j] = repeated ? out[i][1 + j] : V.id(pool.get(r.nextInt(pool.size())));
        }
        return out;
    }

    /** Mean next-token loss on the first copy (targets 2..len) and on the second copy (targets len+2..2len). */
    public static double[] inductionLosses(ZooLlama model, int[][] prompts, ZooLlama.Hooks hooks) {
        int len = (prompts[0].length - 1) / 2;
        float[][][] logp = logProbs(model, prompts, hooks);
        double first = 0, second = 0;
        int n1 = 0, n2 = 0;
        for (int b = 0; b < prompts.length; b++) {
            for (int pos = 2; pos <= len; pos++) { first -= logp[b][pos - 1][prompts[b][pos]]; n1++; }
            for (int pos = len + 2; pos <= 2 * len; pos++) { second -= logp[b][pos - 1][prompts[b][pos]]; n2++; }
        }
        return new double[] {first / n1, second / n2};
    }

    // ---------------------------------------------------------------- indirect object
    /** "when A and B went to the PLACE , S gave a OBJ to" over held-out name pairs, both orders; answer = IO, distractor = S. */
    public static List<Prompt> ioiPrompts(long seed, int n, boolean heldOutPairsOnly) {
        Random r = new Random(seed);
        List<Prompt> out = new ArrayList<>();
        while (out.size() < n) {
            String[] pair = SyntheticCorpus.namePair(r);
            if (heldOutPairsOnly && !SyntheticCorpus.isHeldOutPair(pair[0], pair[1])) continue;
            String io = pair[0], s = pair[1];
            String first = out.size() % 2 == 0 ? io + " and " + s : s + " and " + io;
            String text = "when " + first + " went to the " + pick(r, ZooVocabulary.PLACES) + " , " + s + " gave a "
                    + pick(r, ZooVocabulary.OBJECTS) + " to";
            out.add(new Prompt(withBos(text), V.id(io), V.id(s)));
        }
        return out;
    }

    /** The "ABC" corruption: same template, the giver is a third name, so no indirect object is implied. */
    public static List<Prompt> ioiNegativePrompts(long seed, int n) {
        Random r = new Random(seed);
        List<Prompt> out = new ArrayList<>();
        List<String> names = ZooVocabulary.NAMES;
        while (out.size() < n) {
            String a = pick(r, names), b = pick(r, names), c = pick(r, names);
            if (a.equals(b) || a.equals(c) || b.equals(c)) continue;
            String text = "when " + a + " and " + b + " went to the " + pick(r, ZooVocabulary.PLACES) + " , " + c
                    + " gave a " + pick(r, ZooVocabulary.OBJECTS) + " to";
            out.add(new Prompt(withBos(text), V.id(a), V.id(c)));
        }
        return out;
    }

    private static String pick(Random r, List<String> l) { return l.get(r.nextInt(l.size())); }

    /** Per-prompt logit(answer) − logit(distractor) at the last position. */
    public static double[] logitDiffs(ZooLlama model, List<Prompt> prompts, ZooLlama.Hooks hooks) {
        float[][] last = lastLogits(model, tokens(prompts), hooks);
        double[] d = new double[prompts.size()];
        for (int i = 0; i < d.length; i++) d[i] = last[i][prompts.get(i).answer()] - last[i][prompts.get(i).distractor()];
        return d;
    }

    // ---------------------------------------------------------------- succession
    /**
     * Runs of three consecutive items "x y z" → successor of z, for every ordinal sequence (numbers
     * 1..99, number words, weekdays, months, letters); cyclic sequences wrap. Distractor = the item itself.
     */
    public static List<Prompt> successionPrompts(String sequenceName) {
        List<Prompt> out = new ArrayList<>();
        for (ZooVocabulary.Sequence s : ZooVocabulary.sequences()) {
            if (sequenceName != null && !s.name().equals(sequenceName)) continue;
            List<String> it = s.items();
            int size = it.size();
            int from = s.cyclic() ? 0 : 2, to = s.cyclic() ? size : size - 1;
            for (int i = from; i < to; i++) {
                String a = it.get(Math.floorMod(i - 2, size)), b = it.get(Math.floorMod(i - 1, size)), c = it.get(i);
                out.add(new Prompt(withBos(a + " " + b + " " + c), V.id(it.get((i + 1) % size)), V.id(c)));
            }
        }
        return out;
    }

    /** Same token types without order (three random distinct items of one sequence): the negatives. */
    public static List<Prompt> successionNegativePrompts(long seed, int n) {
        Random r = new Random(seed);
        List<ZooVocabulary.Sequence> seqs = ZooVocabulary.sequences();
        List<Prompt> out = new ArrayList<>();
        while (out.size() < n) {
            List<String> it = seqs.get(r.nextInt(seqs.size())).items();
            int a = r.nextInt(it.size()), b = r.nextInt(it.size()), c = r.nextInt(it.size());
            if (Math.abs(a - b) <= 1 || Math.abs(b - c) <= 1 || a == c) continue;
            out.add(new Prompt(withBos(it.get(a) + " " + it.get(b) + " " + it.get(c)), V.id(it.get(c)), V.id(it.get(c))));
        }
        return out;
    }

    /** Share of prompts whose top-1 next token is the answer. */
    public static double top1Accuracy(ZooLlama model, List<Prompt> prompts, ZooLlama.Hooks hooks) {
        float[][] last = lastLogits(model, tokens(prompts), hooks);
        int ok = 0;
        for (int i = 0; i < last.length; i++) if (Logits.argmax(last[i]) == prompts.get(i).answer()) ok++;
        return (double) ok / last.length;
    }

    /** Mean log-probability of the answer (a smooth metric for ablations). */
    public static double meanAnswerLogProb(ZooLlama model, List<Prompt> prompts, ZooLlama.Hooks hooks) {
        float[][] last = lastLogits(model, tokens(prompts), hooks);
        double s = 0;
        for (int i = 0; i < last.length; i++) s += Logits.logSoftmax(last[i])[prompts.get(i).answer()];
        return s / last.length;
    }

    // ---------------------------------------------------------------- two-hop facts
    /** "P lives in" → city, for every person. */
    public static List<Prompt> cityPrompts() {
        FactTable f = FactTable.get();
        return ZooVocabulary.PERSONS.stream().map(p -> new Prompt(withBos(p + " lives in"), V.id(f.cityOf(p)), V.id(f.cityOf(p)))).toList();
    }

    /** "C is in" → country, for every city. */
    public static List<Prompt> countryPrompts() {
        FactTable f = FactTable.get();
        return ZooVocabulary.CITIES.stream().map(c -> new Prompt(withBos(c + " is in"), V.id(f.countryOf(c)), V.id(f.countryOf(c)))).toList();
    }

    /** "P is from" → country of P's city; {@code training} picks persons whose two-hop fact was (not) in the corpus. */
    public static List<Prompt> twoHopPrompts(boolean training) {
        FactTable f = FactTable.get();
        return ZooVocabulary.PERSONS.stream().filter(p -> f.isTwoHopTraining(p) == training)
                .map(p -> new Prompt(withBos(p + " is from"), V.id(f.countryOf(f.cityOf(p))), V.id(f.cityOf(p)))).toList();
    }

    // ---------------------------------------------------------------- greater-than
    /** "it ran from N to" for N in 2..89: the answer should be a number greater than N. */
    public static List<Prompt> greaterThanPrompts() {
        List<Prompt> out = new ArrayList<>();
        for (int n = 2; n < 90; n++) out.add(new Prompt(withBos("it ran from " + n + " to"), V.id(Integer.toString(n)), V.id(Integer.toString(n))));
        return out;
    }

    /** Hanna et al.'s probability difference: mean over prompts of P(number > N) − P(number < N). */
    public static double greaterThanProbDiff(ZooLlama model, List<Prompt> prompts, ZooLlama.Hooks hooks) {
        float[][] last = lastLogits(model, tokens(prompts), hooks);
        int zero = V.id("0");
        double s = 0;
        for (int i = 0; i < last.length; i++) {
            double[] lp = Logits.logSoftmax(last[i]);
            int n = prompts.get(i).answer() - zero;
            for (int k = 0; k < 100; k++) {
                double p = Math.exp(lp[zero + k]);
                if (k > n) s += p; else if (k < n) s -= p;
            }
        }
        return s / last.length;
    }

    // ---------------------------------------------------------------- helpers
    public static int[][] tokens(List<Prompt> prompts) {
        int[][] t = new int[prompts.size()][];
        for (int i = 0; i < t.length; i++) t[i] = prompts.get(i).tokens();
        return t;
    }

    public static float[][] lastLogits(ZooLlama model, int[][] prompts, ZooLlama.Hooks hooks) {
        try (NDScope scope = new NDScope()) {
            NDArray logits = model.forward(ZooLlama.ids(model.manager(), prompts), hooks);
            int v = model.config().vocabSize();
            float[] flat = logits.get(new NDIndex(":, -1, :")).toFloatArray();
            float[][] out = new float[prompts.length][v];
            for (int i = 0; i < prompts.length; i++) System.arraycopy(flat, i * v, out[i], 0, v);
            return out;
        }
    }

    public static float[][][] logProbs(ZooLlama model, int[][] prompts, ZooLlama.Hooks hooks) {
        try (NDScope scope = new NDScope()) {
            NDArray lp = model.forward(ZooLlama.ids(model.manager(), prompts), hooks).logSoftmax(-1);
            int b = prompts.length, t = prompts[0].length, v = model.config().vocabSize();
            float[] flat = lp.toFloatArray();
            float[][][] out = new float[b][t][v];
            for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) System.arraycopy(flat, (i * t + j) * v, out[i][j], 0, v);
            return out;
        }
    }
}
