package io.latentwatch.interp.paths;

import io.latentwatch.interp.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

/** The built-in tasks: induction on repeated random tokens and the indirect-object (IOI) task. */
public final class TaskBuilders {
    private TaskBuilders() {}

    private static final Pattern SPECIAL = Pattern.compile("^(<.*>|\\[.*]|<\\|.*\\|>)$");

    /**
     * Token ids usable as "random tokens": no specials, no byte tokens, no BOS/EOS, non-blank; whole words
     * (a leading ' ', '\u2581' or '\u0120') when there are at least {@code minWords} of them.
     */
    public static int[] ordinaryTokens(Tokenizer tok, int vocabSize, int minWords) {
        int[] all = ordinaryTokens(tok, vocabSize);
        int[] words = Arrays.stream(all).filter(i -> {
            String s = tok.tokenString(i);
            char c0 = s.charAt(0);
            return (c0 == ' ' || c0 == '\u2581' || c0 == '\u0120') && s.length() > 1;
        }).toArray();
        return words.length >= minWords ? words : all;
    }

    /** Token ids usable as "random tokens": no specials, no byte tokens, no BOS/EOS, non-blank. */
    public static int[] ordinaryTokens(Tokenizer tok, int vocabSize) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < vocabSize; i++) {
            if (i == tok.bosId() || i == tok.eosId()) continue;
            String s = tok.tokenString(i);
            if (s == null || s.isBlank() || SPECIAL.matcher(s.trim()).matches()) continue;
            ids.add(i);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Induction (Olsson et al. 2022): clean = [BOS] A A with A = n random tokens; reference = [BOS] B A with
     * B fresh random tokens, so the second copy cannot be predicted by copying. Metric: loss of predicting
     * A[j+1] at the second copy's position of A[j] (n - 1 positions).
     */
    public static PatchingTask induction(int bos, int[] pool, int n, int pairs, long seed) {
        if (pool.length < 2 * n) throw new IllegalArgumentException("induction needs at least " + 2 * n + " ordinary tokens, found " + pool.length);
        Random r = new Random(seed);
        List<PromptPair> out = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
            int[] a = distinct(r, pool, n, null), b = distinct(r, pool, n, a);
            int off = bos >= 0 ? 1 : 0;
            int[] clean = new int[off + 2 * n], ref = new int[off + 2 * n];
            if (bos >= 0) clean[0] = ref[0] = bos;
            for (int i = 0; i < n; i++) {
                clean[off + i] = a[i];
                clean[off + n + i] = a[i];
                ref[off + i] = b[i];
                ref[off + n + i] = a[i];
            }
            int[] pos = new int[n - 1], ans = new int[n - 1];
            for (int j = 0; j < n - 1; j++) {
                pos[j] = off + n + j;
                ans[j] = a[j + 1];
            }
            out.add(new PromptPair(clean, ref, pos, ans, null));
        }
        return new PatchingTask("induction", "loss on the second copy of " + n + " repeated random tokens; reference: first copy replaced by other random tokens",
                out, Metric.LOSS);
    }

    private static int[] distinct(Random r, int[] pool, int n, int[] avoid) {
        int[] out = new int[n];
        int k = 0;
        while (k < n) {
            int t = pool[r.nextInt(pool.length)];
            boolean dup = false;
            for (int i = 0; i < k; i++) dup |= out[i] == t;
            if (avoid != null) for (int x : avoid) dup |= x == t;
            if (!dup) out[k++] = t;
        }
        return out;
    }

    /** An IOI template: {A}, {B} name slots (B appears twice: the subject), e.g. zoo or TinyStories wording. */
    /** {@code fillers}: other single-token words the reference (ABC) sentence may use when names are scarce. */
    public record IoiTemplate(String text, List<String> names, List<String> fillers) {}

    public static IoiTemplate zooTemplate() {
        return new IoiTemplate("when {A} and {B} went to the store , {B} gave a drink to",
                List.of("mary", "john", "anna", "tom", "lucy", "mike", "sara", "ben", "emma", "jack", "lily", "sam", "kate", "max", "zoe", "leo"), List.of());
    }

    public static IoiTemplate storiesTemplate() {
        return new IoiTemplate("When {A} and {B} went to the park, {B} gave a ball to",
                List.of("Lily", "Tim", "Tom", "Ben", "Sue", "Max", "Sam", "Mia", "Anna", "Jack", "Sara", "Bob", "Amy", "Timmy", "Lucy", "Kate"),
                List.of("mom", "dad", "dog", "cat", "bird", "friend", "girl", "boy", "man", "bear"));
    }

    /**
     * IOI (Wang et al. 2022): clean "when A and B went ..., B gave a drink to" (answer A, wrong B); reference:
     * the same sentence with three other names C, D, E (the "ABC" distribution), so no name is repeated.
     * Metric: logit(A) − logit(B) at the last position. Only names that are one token in the template's slots
     * are used; prompts of another length are rejected.
     */
    public static PatchingTask ioi(Tokenizer tok, IoiTemplate tpl, int pairs, long seed) {
        // single-token words give the shortest sentence: length = base + 3 (tokens(name) - 1)
        List<String> cands = new ArrayList<>(tpl.names());
        for (String f : tpl.fillers()) if (!cands.contains(f)) cands.add(f);
        int minLen = Integer.MAX_VALUE;
        for (String nm : cands) minLen = Math.min(minLen, tok.encode(fill(tpl.text(), nm, nm, nm), true).length);
        List<String> single = new ArrayList<>();
        for (String nm : cands) if (tok.encode(fill(tpl.text(), nm, nm, nm), true).length == minLen) single.add(nm);
        if (single.size() < 2) throw new IllegalArgumentException("IOI needs single-token names in '" + tpl.text() + "', found " + single);
        List<String> names = new ArrayList<>(), fillers = new ArrayList<>();
        List<Integer> ids = new ArrayList<>(), fillerIds = new ArrayList<>();
        int[] base = null;
        for (String nm : single) {
            String x = single.get(nm.equals(single.get(0)) ? 1 : 0);
            int[] ref = tok.encode(fill(tpl.text(), x, x, x), true), inA = tok.encode(fill(tpl.text(), nm, x, x), true),
                    inB = tok.encode(fill(tpl.text(), x, nm, nm), true);
            if (inA.length != minLen || inB.length != minLen) continue;
            int[] dA = diffPositions(inA, ref), dB = diffPositions(inB, ref);
            if (dA.length != 1 || dB.length != 2 || inA[dA[0]] != inB[dB[0]] || inB[dB[0]] != inB[dB[1]]) continue;
            if (base == null) base = ref;
            (tpl.names().contains(nm) ? names : fillers).add(nm);
            (tpl.names().contains(nm) ? ids : fillerIds).add(inA[dA[0]]);
        }
        if (names.size() < 2 || names.size() + fillers.size() < 5)
            throw new IllegalArgumentException("IOI needs 2 single-token names and 5 single-token words in all in '" + tpl.text()
                    + "', found names " + names + ", fillers " + fillers);
        List<String> refWords = new ArrayList<>(names);
        refWords.addAll(fillers);
        Random r = new Random(seed);
        List<PromptPair> out = new ArrayList<>();
        int guard = 0;
        while (out.size() < pairs && guard++ < pairs * 50) {
            int[] pick = new int[5];
            for (int i = 0; i < 5; i++) {
                int c;
                do { c = r.nextInt(i < 2 ? names.size() : refWords.size()); } while (contains(pick, i, c));
                pick[i] = c;
            }
            int[] clean = tok.encode(fill(tpl.text(), names.get(pick[0]), names.get(pick[1]), names.get(pick[1])), true);
            int[] ref = tok.encode(fill(tpl.text(), refWords.get(pick[2]), refWords.get(pick[3]), refWords.get(pick[4])), true);
            if (clean.length != base.length || ref.length != base.length) continue;
            int last = clean.length - 1;
            out.add(new PromptPair(clean, ref, new int[] {last}, new int[] {ids.get(pick[0])}, new int[] {ids.get(pick[1])}));
        }
        return new PatchingTask("ioi", "logit(IO) - logit(S) after '" + tpl.text() + "'; reference: three other names or words (ABC)", out, Metric.LOGIT_DIFF);
    }

    private static boolean contains(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) if (a[i] == v) return true;
        return false;
    }

    private static String fill(String t, String a, String b, String s2) {
        int first = t.indexOf("{B}");
        String x = t.replace("{A}", a);
        first = x.indexOf("{B}");
        x = x.substring(0, first) + b + x.substring(first + 3);
        return x.replace("{B}", s2);
    }

    private static int[] diffPositions(int[] a, int[] b) {
        List<Integer> d = new ArrayList<>();
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) d.add(i);
        return d.stream().mapToInt(Integer::intValue).toArray();
    }
}
