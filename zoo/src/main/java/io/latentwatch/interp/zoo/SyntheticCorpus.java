package io.latentwatch.interp.zoo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded generator of the zoo's training text: simple story sentences mixed with planted
 * mechanisms whose ground truth is known by construction.
 * <ul>
 *   <li><b>induction</b>: a random token sequence repeated ("k1 .. kn k1 .. kn"), the copying
 *       behaviour that induction heads implement (Olsson et al. 2022);</li>
 *   <li><b>succession</b>: runs of numbers, number words, weekdays, months, letters
 *       (the successor-heads task, Gould et al. 2023);</li>
 *   <li><b>indirect object</b>: "when mary and john went to the store , john gave a drink to mary"
 *       with both name orders (Wang et al. 2022); some name pairs never occur in training;</li>
 *   <li><b>two-hop facts</b>: person → city and city → country statements for everyone, the
 *       composed "person is from country" only for a training subset of persons ({@link FactTable});</li>
 *   <li><b>greater-than</b>: "it ran from 32 to 57 ." with the second number larger (Hanna et al. 2023).</li>
 * </ul>
 * The same seed gives the same token stream on every machine (only {@link java.util.Random} is used).
 */
public final class SyntheticCorpus {
    /** Mixture weights of segment kinds, in the order of {@link Kind}. */
    public enum Kind { STORY, INDUCTION, SUCCESSION, IOI, FACTS, GREATER_THAN }

    private static final double[] MIX = {0.18, 0.30, 0.18, 0.16, 0.13, 0.05};

    private final ZooVocabulary vocab = ZooVocabulary.get();
    private final FactTable facts = FactTable.get();
    private final Random rng;

    public SyntheticCorpus(long seed) { this.rng = new Random(seed); }

    /** One training window of {@code length + 1} tokens: BOS then whole segments, truncated. */
    public int[] window(int length) {
        int[] out = new int[length + 1];
        int n = 0;
        out[n++] = vocab.bos();
        while (n < out.length) {
            int[] seg = vocab.encode(segment(pickKind()));
            int k = Math.min(seg.length, out.length - n);
            System.arraycopy(seg, 0, out, n, k);
            n += k;
        }
        return out;
    }

    /** A batch of windows, shape [batch][length + 1]. */
    public int[][] batch(int batch, int length) {
        int[][] b = new int[batch][];
        for (int i = 0; i < batch; i++) b[i] = window(length);
        return b;
    }

    /** A human-readable document (for the README and for eyeballing): n segments. */
    public String document(int segments) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < segments; i++) sb.append(i == 0 ? "" : " ").append(segment(pickKind()));
        return sb.toString();
    }

    private Kind pickKind() {
        double u = rng.nextDouble(), acc = 0;
        for (int i = 0; i < MIX.length; i++) {
            acc += MIX[i];
            if (u < acc) return Kind.values()[i];
        }
        return Kind.STORY;
    }

    public String segment(Kind kind) {
        return switch (kind) {
            case STORY -> story();
            case INDUCTION -> induction();
            case SUCCESSION -> succession();
            case IOI -> ioi();
            case FACTS -> fact();
            case GREATER_THAN -> greaterThan();
        };
    }

    private String pick(List<String> l) { return l.get(rng.nextInt(l.size())); }

    private String story() {
        String name = pick(ZooVocabulary.NAMES), adj = pick(ZooVocabulary.ADJECTIVES), animal = pick(ZooVocabulary.ANIMALS),
                obj = pick(ZooVocabulary.OBJECTS), place = pick(ZooVocabulary.PLACES), verb = pick(ZooVocabulary.VERBS_PAST);
        return switch (rng.nextInt(6)) {
            case 0 -> "once upon a time there was a " + adj + " " + animal + " named " + name + " .";
            case 1 -> "the " + adj + " " + animal + " " + verb + " the " + obj + " at the " + place + " .";
            case 2 -> name + " " + verb + " a " + adj + " " + obj + " .";
            case 3 -> "then " + name + " and " + pick(ZooVocabulary.NAMES) + " had a lot of fun at the " + place + " .";
            case 4 -> name + " went to the " + place + " with the " + adj + " " + animal + " .";
            default -> "it was a " + adj + " day . " + (rng.nextBoolean() ? "he" : "she") + " " + verb + " the " + animal + " .";
        };
    }

    private String induction() {
        List<String> pool = vocab.contentWords();
        int n = 4 + rng.nextInt(9); // 4..12 tokens
        String[] seq = new String[n];
        for (int i = 0; i < n; i++) seq[i] = pool.get(rng.nextInt(pool.size()));
        String s = String.join(" ", seq);
        return s + " " + s + " .";
    }

    private String succession() {
        List<ZooVocabulary.Sequence> seqs = ZooVocabulary.sequences();
        // numbers are over-weighted: 99 items need more coverage than 7 weekdays
        ZooVocabulary.Sequence seq = rng.nextDouble() < 0.4 ? seqs.get(0) : seqs.get(rng.nextInt(seqs.size()));
        List<String> items = seq.items();
        int len = 3 + rng.nextInt(6); // 3..8
        if (!seq.cyclic()) len = Math.min(len, items.size());
        int start = seq.cyclic() ? rng.nextInt(items.size()) : rng.nextInt(items.size() - len + 1);
        List<String> run = new ArrayList<>();
        for (int i = 0; i < len; i++) run.add(items.get((start + i) % items.size()));
        return switch (rng.nextInt(3)) {
            case 0 -> String.join(" ", run) + " .";
            case 1 -> "count : " + String.join(" ", run) + " .";
            default -> "after " + run.get(0) + " comes " + run.get(1) + " .";
        };
    }

    private String ioi() {
        String[] pair;
        do {
            pair = namePair(rng);
        } while (isHeldOutPair(pair[0], pair[1]));
        // pair[0] is the indirect object, pair[1] the subject (repeated); first-mention order is random
        String io = pair[0], s = pair[1];
        String first = rng.nextBoolean() ? io + " and " + s : s + " and " + io;
        String place = pick(ZooVocabulary.PLACES), obj = pick(ZooVocabulary.OBJECTS);
        return rng.nextInt(3) < 2
                ? "when " + first + " went to the " + place + " , " + s + " gave a " + obj + " to " + io + " ."
                : "then , " + first + " had a lot of fun at the " + place + " . " + s + " gave a " + obj + " to " + io + " .";
    }

    static String[] namePair(Random r) {
        List<String> names = ZooVocabulary.NAMES;
        int a = r.nextInt(names.size()), b;
        do { b = r.nextInt(names.size()); } while (b == a);
        return new String[] {names.get(a), names.get(b)};
    }

    /** About one unordered name pair in seven never appears in an IOI training sentence: the held-out test set. */
    public static boolean isHeldOutPair(String x, String y) {
        int i = ZooVocabulary.NAMES.indexOf(x), j = ZooVocabulary.NAMES.indexOf(y);
        int lo = Math.min(i, j), hi = Math.max(i, j);
        return (lo * 31 + hi * 17) % 7 == 0;
    }

    private String fact() {
        List<String> persons = ZooVocabulary.PERSONS;
        while (true) {
            // the composed two-hop statement is rarer than the single hops: composition should stay imperfect
            double u = rng.nextDouble();
            int kind = u < 0.4 ? 0 : u < 0.8 ? 1 : 2;
            String p = persons.get(rng.nextInt(persons.size()));
            switch (kind) {
                case 0: return p + " lives in " + facts.cityOf(p) + " .";
                case 1: {
                    String c = pick(ZooVocabulary.CITIES);
                    return c + " is in " + facts.countryOf(c) + " .";
                }
                default:
                    if (facts.isTwoHopTraining(p)) return p + " is from " + facts.countryOf(facts.cityOf(p)) + " .";
            }
        }
    }

    private String greaterThan() {
        int a = 1 + rng.nextInt(90);
        int b = a + 1 + rng.nextInt(Math.min(25, 99 - a));
        return "it ran from " + a + " to " + b + " .";
    }

    /** Tokens of a window as text (debugging). */
    public static String toText(int[] tokens) { return ZooVocabulary.get().decode(tokens); }

    @Override public String toString() { return "SyntheticCorpus" + Arrays.toString(MIX); }
}
