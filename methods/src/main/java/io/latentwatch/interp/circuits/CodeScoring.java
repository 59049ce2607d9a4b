package io.latentwatch.interp.circuits;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Node and edge scores from a {@link CodeTable} (O'Neill & Bui 2024, sec. 3): a code that a head
 * takes on some positive example but never on any negative one marks behaviour specific to the
 * positive task.
 *
 * <ul>
 *   <li><b>node count</b> of head h: the number of distinct codes of h seen on positives and never
 *       on negatives;</li>
 *   <li><b>node share</b> of head h: the share of h's (positive example, position) outputs whose
 *       code is positive-only. It weights a code by how often the positive task produces it, so a
 *       head that answers every positive with a task code outranks one that picked up a few rare
 *       codes by chance (small-sample noise grows with the number of latents);</li>
 *   <li><b>edge count</b> of heads (a, b): the number of distinct code pairs (code_a, code_b) seen
 *       together at the same example and position on positives and never on negatives;
 *       <b>edge share</b>: the share of positive (example, position) cells whose pair is
 *       positive-only.</li>
 * </ul>
 */
public final class CodeScoring {
    private CodeScoring() {}

    public record NodeScore(HeadId head, int positiveOnlyCodes, double share, List<Integer> codes) {}

    public record EdgeScore(HeadId from, HeadId to, int positiveOnlyPairs, double share) {}

    public static List<NodeScore> nodes(CodeTable t, int nHeads) {
        List<NodeScore> out = new ArrayList<>();
        for (int h = 0; h < t.heads(); h++) {
            Set<Integer> pos = new HashSet<>(), neg = new HashSet<>();
            for (int e = 0; e < t.examples(); e++) {
                for (int p = 0; p < t.positions(); p++) (t.positive(e) ? pos : neg).add(t.code(e, p, h));
            }
            TreeSet<Integer> only = new TreeSet<>(pos);
            only.removeAll(neg);
            long cells = 0, hits = 0;
            for (int e = 0; e < t.examples(); e++) {
                if (!t.positive(e)) continue;
                for (int p = 0; p < t.positions(); p++) {
                    cells++;
                    if (only.contains(t.code(e, p, h))) hits++;
                }
            }
            out.add(new NodeScore(HeadId.of(h, nHeads), only.size(), cells == 0 ? 0 : (double) hits / cells, List.copyOf(only)));
        }
        return out;
    }

    /** Scores of every unordered head pair a < b (flat order: layer, then head). */
    public static List<EdgeScore> edges(CodeTable t, int nHeads) {
        List<EdgeScore> out = new ArrayList<>();
        for (int a = 0; a < t.heads(); a++) {
            for (int b = a + 1; b < t.heads(); b++) {
                Set<Long> pos = new HashSet<>(), neg = new HashSet<>();
                for (int e = 0; e < t.examples(); e++) {
                    for (int p = 0; p < t.positions(); p++) (t.positive(e) ? pos : neg).add(pair(t.code(e, p, a), t.code(e, p, b)));
                }
                Set<Long> only = new HashSet<>(pos);
                only.removeAll(neg);
                long cells = 0, hits = 0;
                for (int e = 0; e < t.examples(); e++) {
                    if (!t.positive(e)) continue;
                    for (int p = 0; p < t.positions(); p++) {
                        cells++;
                        if (only.contains(pair(t.code(e, p, a), t.code(e, p, b)))) hits++;
                    }
                }
                out.add(new EdgeScore(HeadId.of(a, nHeads), HeadId.of(b, nHeads), only.size(), cells == 0 ? 0 : (double) hits / cells));
            }
        }
        return out;
    }

    /**
     * Chance-corrected share: a head's share minus its mean share when the positive/negative labels
     * are shuffled across examples ({@code permutations} seeded shuffles, class sizes kept). Heads
     * whose codes simply vary with content (token identity) pick up positive-only codes by chance
     * with few examples; the shuffle measures that chance level per head and removes it.
     */
    public static double[] excessShare(CodeTable t, int nHeads, int permutations, long seed) {
        List<NodeScore> observed = nodes(t, nHeads);
        double[] out = new double[t.heads()];
        if (permutations <= 0) {
            for (int h = 0; h < out.length; h++) out[h] = observed.get(h).share();
            return out;
        }
        int E = t.examples();
        boolean[] labels = new boolean[E];
        for (int e = 0; e < E; e++) labels[e] = t.positive(e);
        int[][][] codes = new int[E][][];
        for (int e = 0; e < E; e++) codes[e] = t.example(e);
        Random rnd = new Random(seed);
        double[] nullMean = new double[t.heads()];
        for (int k = 0; k < permutations; k++) {
            boolean[] perm = labels.clone();
            for (int i = E - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                boolean tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
            }
            List<NodeScore> ns = nodes(new CodeTable(codes, perm), nHeads);
            for (int h = 0; h < out.length; h++) nullMean[h] += ns.get(h).share() / permutations;
        }
        for (int h = 0; h < out.length; h++) out[h] = observed.get(h).share() - nullMean[h];
        return out;
    }

    private static long pair(int a, int b) { return ((long) a << 32) ^ (b & 0xffffffffL); }
}
