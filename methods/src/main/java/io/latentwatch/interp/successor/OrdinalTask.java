package io.latentwatch.interp.successor;

import io.latentwatch.interp.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * An ordinal sequence whose items are single tokens of a vocabulary (numbers, number words, weekdays,
 * months, letters; Gould et al. 2023 §2). {@code ids[i]} is the token of {@code items[i]}; the successor of
 * item i is item i+1 (wrapping for cyclic sequences). Items missing from the vocabulary are dropped, and so
 * are successor pairs with a missing member.
 */
public record OrdinalTask(String name, List<String> items, int[] ids, boolean cyclic) {

    /** Index pairs (i, successor index) where both tokens exist. */
    public List<int[]> successorPairs() {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            int j = i + 1;
            if (j == items.size()) {
                if (!cyclic) continue;
                j = 0;
            }
            if (ids[i] >= 0 && ids[j] >= 0) out.add(new int[] {i, j});
        }
        return out;
    }

    public int[] presentIds() {
        return IntStream.of(ids).filter(x -> x >= 0).toArray();
    }

    static final List<String> NUMBER_WORDS = List.of("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty");
    static final List<String> WEEKDAYS = List.of("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday");
    static final List<String> MONTHS = List.of("january", "february", "march", "april", "may", "june", "july", "august",
            "september", "october", "november", "december");

    /**
     * The ordinal tasks this vocabulary supports: for each sequence, lower- and capitalised spellings, with or
     * without a word-boundary marker (' ', '▁', 'Ġ'); the spelling with the most single-token items wins.
     * Sequences with fewer than 3 successor pairs are left out.
     */
    public static List<OrdinalTask> find(Tokenizer tok, int vocabSize) {
        Map<String, Integer> bare = new LinkedHashMap<>(), spaced = new LinkedHashMap<>();
        for (int i = 0; i < vocabSize; i++) {
            String s = tok.tokenString(i);
            if (s == null || s.isEmpty() || i == tok.bosId() || i == tok.eosId()) continue;
            char c0 = s.charAt(0);
            if (c0 == ' ' || c0 == '\u2581' || c0 == '\u0120') spaced.putIfAbsent(s.substring(1), i);
            else bare.putIfAbsent(s, i);
        }
        List<OrdinalTask> out = new ArrayList<>();
        List<String> numbers = IntStream.range(0, 100).mapToObj(Integer::toString).toList();
        List<String> lower = IntStream.rangeClosed('a', 'z').mapToObj(c -> String.valueOf((char) c)).toList();
        List<String> upper = IntStream.rangeClosed('A', 'Z').mapToObj(c -> String.valueOf((char) c)).toList();
        add(out, "numbers", numbers, false, bare, spaced);
        add(out, "number_words", NUMBER_WORDS, false, bare, spaced);
        add(out, "weekdays", WEEKDAYS, true, bare, spaced);
        add(out, "months", MONTHS, true, bare, spaced);
        add(out, "letters", lower, false, bare, spaced);
        add(out, "capital_letters", upper, false, bare, spaced);
        return out;
    }

    private static void add(List<OrdinalTask> out, String name, List<String> items, boolean cyclic, Map<String, Integer> bare,
                            Map<String, Integer> spaced) {
        OrdinalTask best = null;
        for (Map<String, Integer> m : List.of(spaced, bare))
            for (boolean cap : new boolean[] {false, true}) {
                int[] ids = new int[items.size()];
                for (int i = 0; i < ids.length; i++) {
                    String it = items.get(i);
                    if (cap && !it.isEmpty()) it = Character.toUpperCase(it.charAt(0)) + it.substring(1);
                    ids[i] = m.getOrDefault(it, -1);
                }
                OrdinalTask t = new OrdinalTask(name, items, ids, cyclic);
                if (best == null || t.successorPairs().size() > best.successorPairs().size()) best = t;
            }
        if (best.successorPairs().size() >= 3) out.add(best);
    }
}
