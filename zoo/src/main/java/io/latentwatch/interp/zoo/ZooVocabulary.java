package io.latentwatch.interp.zoo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The fixed word-level vocabulary of the zoo's synthetic corpus. Every word is one token (a
 * WordLevel tokenizer with a whitespace pre-tokenizer), so the planted tasks are exact: a name,
 * a number, a weekday is always a single position.
 *
 * <p>The word lists are part of the corpus definition (not of a training seed): changing them
 * changes every checkpoint, so they are constants here.
 */
public final class ZooVocabulary {
    public static final String PAD = "[PAD]", UNK = "[UNK]", BOS = "[BOS]", EOS = "[EOS]";
    public static final List<String> SPECIALS = List.of(PAD, UNK, BOS, EOS);
    public static final List<String> PUNCTUATION = List.of(".", ",", "!", "?", ":");
    /** "0".."99" as single tokens (numbers for succession and greater-than). */
    public static final List<String> NUMBERS = IntStream.range(0, 100).mapToObj(Integer::toString).toList();
    public static final List<String> NUMBER_WORDS = List.of("one", "two", "three", "four", "five", "six",
            "seven", "eight", "nine", "ten", "eleven", "twelve");
    public static final List<String> WEEKDAYS = List.of("monday", "tuesday", "wednesday", "thursday",
            "friday", "saturday", "sunday");
    public static final List<String> MONTHS = List.of("january", "february", "march", "april", "may",
            "june", "july", "august", "september", "october", "november", "december");
    /** Letters "a".."z"; "a" doubles as the article, as in English text. */
    public static final List<String> LETTERS = IntStream.rangeClosed('a', 'z').mapToObj(c -> String.valueOf((char) c)).toList();
    /** Names for the indirect-object task and the stories. */
    public static final List<String> NAMES = List.of("mary", "john", "anna", "tom", "lucy", "mike", "sara",
            "paul", "emma", "jack", "lily", "ben", "kate", "sam", "nina", "max", "rose", "leo", "amy", "dan",
            "eva", "ivan", "zoe", "hugo", "mia", "omar", "ella", "finn", "ruth", "carl");
    /** Persons of the two-hop fact table (disjoint from {@link #NAMES} so the tasks do not interfere). */
    public static final List<String> PERSONS = List.of("alice", "bruno", "clara", "david", "elena", "felix",
            "greta", "henry", "irene", "jonas", "karla", "lars", "marta", "nils", "olga", "peter", "quinn",
            "rita", "simon", "tina", "ugo", "vera", "walter", "xenia", "yusuf", "zelda", "anton", "bianca",
            "cyril", "dora", "emil", "flora", "gustav", "hanna", "igor", "julia", "kurt", "lena", "moritz", "nora");
    public static final List<String> CITIES = List.of("paris", "lyon", "berlin", "munich", "rome", "milan",
            "madrid", "seville", "london", "leeds", "vienna", "graz", "oslo", "bergen", "lisbon", "porto");
    /** Country of CITIES[i] is COUNTRIES[i / 2]. */
    public static final List<String> COUNTRIES = List.of("france", "germany", "italy", "spain", "england",
            "austria", "norway", "portugal");
    public static final List<String> PLACES = List.of("store", "park", "school", "beach", "garden", "market",
            "library", "forest", "river", "farm", "castle", "station", "lake", "zoo", "village");
    public static final List<String> OBJECTS = List.of("drink", "ball", "book", "apple", "flower", "cake",
            "hat", "toy", "letter", "kite", "cup", "key", "ring", "box", "pen", "shoe", "bag", "coin", "map", "lamp");
    public static final List<String> ANIMALS = List.of("cat", "dog", "bird", "fish", "frog", "horse", "rabbit",
            "bear", "duck", "fox", "mouse", "lion", "owl", "pig", "cow");
    public static final List<String> ADJECTIVES = List.of("big", "small", "happy", "sad", "red", "blue",
            "green", "old", "young", "kind", "brave", "tiny", "funny", "quiet", "fast", "slow", "soft", "bright",
            "warm", "cold");
    public static final List<String> VERBS_PAST = List.of("saw", "found", "liked", "helped", "took", "lost",
            "wanted", "made", "painted", "carried", "hid", "washed", "fed", "followed", "met");
    public static final List<String> FUNCTION_WORDS = List.of("the", "and", "when", "went", "to", "gave",
            "then", "had", "lot", "of", "fun", "at", "lives", "in", "is", "from", "it", "there", "was", "once",
            "upon", "time", "named", "after", "comes", "before", "with", "they", "he", "she", "very", "day",
            "count", "ran", "number", "play", "did", "not", "know", "where", "home", "next");

    private final List<String> words;
    private final Map<String, Integer> ids;

    private ZooVocabulary() {
        List<String> all = new ArrayList<>(SPECIALS);
        for (List<String> group : List.of(PUNCTUATION, NUMBERS, NUMBER_WORDS, WEEKDAYS, MONTHS, LETTERS, NAMES,
                PERSONS, CITIES, COUNTRIES, PLACES, OBJECTS, ANIMALS, ADJECTIVES, VERBS_PAST, FUNCTION_WORDS)) {
            for (String w : group) {
                if (all.contains(w)) {
                    if (w.equals("a")) continue; // deliberate: letter "a" is the article "a"
                    throw new IllegalStateException("zoo vocabulary: duplicate word '" + w + "'");
                }
                all.add(w);
            }
        }
        if (!all.contains("a")) all.add("a");
        this.words = Collections.unmodifiableList(all);
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < all.size(); i++) m.put(all.get(i), i);
        this.ids = Collections.unmodifiableMap(m);
    }

    private static final ZooVocabulary INSTANCE = new ZooVocabulary();

    public static ZooVocabulary get() { return INSTANCE; }

    public int size() { return words.size(); }

    public List<String> words() { return words; }

    public String word(int id) { return words.get(id); }

    public int id(String word) {
        Integer i = ids.get(word);
        if (i == null) throw new IllegalArgumentException("zoo vocabulary: unknown word '" + word + "'");
        return i;
    }

    public int bos() { return id(BOS); }

    public int eos() { return id(EOS); }

    public int pad() { return id(PAD); }

    /** Token ids of a whitespace-separated text (no BOS added). */
    public int[] encode(String text) {
        return Arrays.stream(text.trim().split("\\s+")).filter(s -> !s.isEmpty()).mapToInt(this::id).toArray();
    }

    public String decode(int[] tokens) {
        return Arrays.stream(tokens).mapToObj(this::word).collect(Collectors.joining(" "));
    }

    /** Words that are plain content (no specials or punctuation): the pool for random induction sequences. */
    public List<String> contentWords() {
        return words.stream().filter(w -> !SPECIALS.contains(w) && !PUNCTUATION.contains(w)).toList();
    }

    /** Ordered sequences used by the succession task (name → items in order, and whether it wraps around). */
    public record Sequence(String name, List<String> items, boolean cyclic) {}

    public static List<Sequence> sequences() {
        return List.of(new Sequence("numbers", NUMBERS.subList(1, 100), false),
                new Sequence("number_words", NUMBER_WORDS, false),
                new Sequence("weekdays", WEEKDAYS, true),
                new Sequence("months", MONTHS, true),
                new Sequence("letters", LETTERS, false));
    }
}
