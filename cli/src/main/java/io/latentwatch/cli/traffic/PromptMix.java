package io.latentwatch.cli.traffic;

import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Prompts for a traffic scenario, in the served model's domain, and the inputs it never saw.
 *
 * <p>Two domains: {@code stories} (TinyStories-like English for llama2.c's stories models) and
 * {@code zoo} (the project's zoo models: lower-case, word-level, punctuation as separate words,
 * the vocabulary and templates of their synthetic corpus). Each prompt carries its ground truth:
 * its {@link Kind}, and for out-of-domain and circuit prompts which kind of injection it is.
 */
public final class PromptMix {
    /** What a prompt is, for scoring detectors. */
    public enum Kind {
        /** In-domain text like the training corpus. */
        NORMAL(false),
        /** Shifted topic mix: plausible text, different subject matter (gradual drift). */
        DRIFT(false),
        /** Out-of-distribution input: random bytes, other languages, code, repeated tokens. */
        ANOMALY(true),
        /** A planted-circuit trigger: indirect object, induction (repeated sequence), successor, greater-than. */
        CIRCUIT(true);

        final boolean injected;

        Kind(boolean injected) { this.injected = injected; }

        public boolean injected() { return injected; }

        public String wire() { return name().toLowerCase(Locale.ROOT); }
    }

    /** One prompt and its ground truth: {@code subtype} names the generator (e.g. "random-bytes", "ioi"). */
    public record Prompt(String text, Kind kind, String subtype) {}

    public enum Domain { STORIES, ZOO }

    private final Domain domain;
    private final Random random;

    public PromptMix(Domain domain, long seed) {
        this.domain = domain;
        this.random = new Random(seed);
    }

    /** The zoo domain for models named zoo-*, the stories domain otherwise. */
    public static Domain domainFor(String modelId) {
        return modelId != null && modelId.toLowerCase(Locale.ROOT).contains("zoo") ? Domain.ZOO : Domain.STORIES;
    }

    public Domain domain() { return domain; }

    // ------------------------------------------------------------------------------------- normal

    private static final List<String> S_NAMES = List.of("Lily", "Tom", "Ben", "Mia", "Sue", "Max", "Anna", "Tim", "Sam", "Lucy", "Jack", "Emma");
    private static final List<String> S_PLACES = List.of("park", "garden", "forest", "beach", "house", "school", "farm", "lake");
    private static final List<String> S_THINGS = List.of("ball", "toy", "cake", "kite", "box", "hat", "book", "flower", "cat", "dog", "bird", "car");
    private static final List<String> S_ADJ = List.of("big", "little", "red", "happy", "shiny", "soft", "funny", "old", "new", "blue");
    private static final List<String> S_VERBS = List.of("found", "saw", "liked", "wanted", "made", "lost", "shared", "painted");

    static final List<String> Z_NAMES = List.of("mary", "john", "anna", "tom", "lucy", "mike", "sara", "paul", "emma", "jack",
            "lily", "ben", "kate", "sam", "nina", "max", "rose", "leo", "amy", "dan");
    static final List<String> Z_PLACES = List.of("store", "park", "school", "beach", "garden", "market", "library", "forest",
            "river", "farm", "castle", "station", "lake", "zoo", "village");
    static final List<String> Z_OBJECTS = List.of("drink", "ball", "book", "apple", "flower", "cake", "hat", "toy", "letter",
            "kite", "cup", "key", "ring", "box", "pen", "shoe", "bag", "coin", "map", "lamp");
    static final List<String> Z_ANIMALS = List.of("cat", "dog", "bird", "fish", "frog", "horse", "rabbit", "bear", "duck", "fox");
    static final List<String> Z_ADJ = List.of("big", "small", "happy", "sad", "red", "blue", "green", "old", "young", "kind", "brave");
    static final List<String> Z_VERBS = List.of("saw", "found", "liked", "helped", "took", "lost", "wanted", "made", "painted");
    static final List<String> Z_WEEKDAYS = List.of("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday");
    static final List<String> Z_MONTHS = List.of("january", "february", "march", "april", "may", "june", "july", "august",
            "september", "october", "november", "december");
    static final List<String> Z_CITIES = List.of("paris", "lyon", "berlin", "munich", "rome", "milan", "madrid", "london", "vienna", "oslo");
    static final List<String> Z_PERSONS = List.of("alice", "bruno", "clara", "david", "elena", "felix", "greta", "henry", "irene", "jonas");

    public Prompt normal() {
        return new Prompt(domain == Domain.ZOO ? zooStory() : story(), Kind.NORMAL, "story");
    }

    private String story() {
        String n = pick(S_NAMES), p = pick(S_PLACES), t = pick(S_THINGS), a = pick(S_ADJ), v = pick(S_VERBS);
        return switch (random.nextInt(6)) {
            case 0 -> "Once upon a time, there was a " + a + " " + t + " named " + n + ".";
            case 1 -> "One day, " + n + " went to the " + p + " with " + pick(S_NAMES) + ".";
            case 2 -> n + " " + v + " a " + a + " " + t + " in the " + p + ".";
            case 3 -> "Once upon a time, " + n + " and " + pick(S_NAMES) + " played in the " + p + ". They";
            case 4 -> "The " + a + " " + t + " was very happy. It";
            default -> n + " wanted to play with the " + t + ", but";
        };
    }

    private String zooStory() {
        String n = pick(Z_NAMES), p = pick(Z_PLACES), o = pick(Z_OBJECTS), an = pick(Z_ANIMALS), a = pick(Z_ADJ), v = pick(Z_VERBS);
        return switch (random.nextInt(6)) {
            case 0 -> "once upon a time there was a " + a + " " + an + " named " + n + " .";
            case 1 -> "the " + a + " " + an + " " + v + " the " + o + " at the " + p + " .";
            case 2 -> n + " " + v + " a " + a + " " + o + " .";
            case 3 -> "then " + n + " and " + pick(Z_NAMES) + " had a lot of fun at the " + p + " .";
            case 4 -> n + " went to the " + p + " with the " + a + " " + an + " .";
            default -> "it was a " + a + " day . " + (random.nextBoolean() ? "he" : "she") + " " + v + " the " + an + " .";
        };
    }

    // -------------------------------------------------------------------------------------- drift

    private static final List<String> S_DRIFT = List.of(
            "The quarterly earnings report showed that revenue grew by",
            "In the Senate hearing, the committee chair asked the minister about",
            "The patient was admitted with acute chest pain and",
            "To configure the load balancer, the administrator must first",
            "The court ruled that the contract was void because",
            "Interest rates rose again as the central bank",
            "The spacecraft entered orbit around Jupiter after",
            "According to the new tax regulation, employers must");

    /** Shifted topic mix: in the zoo domain the fact-table and counting segments only (a different corpus mix), else adult news/technical English. */
    public Prompt drift() {
        if (domain == Domain.ZOO) {
            String t = switch (random.nextInt(3)) {
                case 0 -> pick(Z_PERSONS) + " lives in";
                case 1 -> pick(Z_CITIES) + " is in";
                default -> "count : " + (1 + random.nextInt(60)) + " " ;
            };
            return new Prompt(t.strip(), Kind.DRIFT, "topic-shift");
        }
        return new Prompt(pick(S_DRIFT), Kind.DRIFT, "topic-shift");
    }

    // ------------------------------------------------------------------------------------ anomalies

    private static final List<String> FOREIGN = List.of(
            "Der schnelle braune Fuchs springt über den faulen Hund und",
            "Il était une fois une petite fille qui habitait au bord de",
            "Érase una vez un rey que tenía tres hijas y",
            "Жили-были старик со старухой у самого синего моря",
            "从前有一座山，山里有一座庙，庙里有一个老和尚",
            "昔々、ある所におじいさんとおばあさんが住んでいました",
            "Dawno, dawno temu w pewnym królestwie żyła",
            "Μια φορά κι έναν καιρό ζούσε ένας βασιλιάς");
    private static final List<String> CODE = List.of(
            "public static void main(String[] args) { for (int i = 0; i < n; i++) {",
            "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
            "SELECT u.id, COUNT(o.id) FROM users u LEFT JOIN orders o ON",
            "#include <stdio.h>\nint main(void) { char buf[256]; while (fgets(buf,",
            "const x = await fetch(`/api/v1/${id}`).then(r => r.json()); if (",
            "kubectl get pods -n kube-system -o jsonpath='{.items[*]",
            "<html><body><div class=\"container\"><script>var a = [];",
            "fn main() { let v: Vec<u32> = (0..10).map(|x| x * x).collect();");

    /** An input the model never saw: random bytes, another language, code, or a repeated token. */
    public Prompt anomaly() {
        return switch (random.nextInt(4)) {
            case 0 -> new Prompt(randomBytes(24 + random.nextInt(40)), Kind.ANOMALY, "random-bytes");
            case 1 -> new Prompt(pick(FOREIGN), Kind.ANOMALY, "other-language");
            case 2 -> new Prompt(pick(CODE), Kind.ANOMALY, "code");
            default -> {
                String tok = domain == Domain.ZOO ? pick(List.of("the", ",", "zoo", "7", "a")) : pick(List.of("the", "a", "!", "zz", "1"));
                yield new Prompt((tok + " ").repeat(30 + random.nextInt(30)).strip(), Kind.ANOMALY, "repeated-token");
            }
        };
    }

    private String randomBytes(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            // Printable ASCII punctuation, control-free Latin-1 and a few high code points: a byte salad.
            int r = random.nextInt(10);
            if (r < 5) b.append((char) (33 + random.nextInt(94)));
            else if (r < 8) b.append((char) (0xA1 + random.nextInt(0x5E)));
            else b.append(Character.toChars(0x2500 + random.nextInt(0x400)));
        }
        return b.toString();
    }

    // ------------------------------------------------------------------------------------- circuits

    /** A planted-circuit trigger (the zoo's tasks; English equivalents for the stories domain). */
    public Prompt circuit() {
        return switch (random.nextInt(4)) {
            case 0 -> new Prompt(ioi(), Kind.CIRCUIT, "ioi");
            case 1 -> new Prompt(induction(), Kind.CIRCUIT, "induction");
            case 2 -> new Prompt(successor(), Kind.CIRCUIT, "successor");
            default -> new Prompt(domain == Domain.ZOO ? "it ran from " + (2 + random.nextInt(80)) + " to"
                    : "The war lasted from the year 17" + (10 + random.nextInt(80)) + " to the year 17", Kind.CIRCUIT, "greater-than");
        };
    }

    /** "when A and B went to the PLACE , B gave a OBJ to" (Wang et al. 2022's IOI template). */
    private String ioi() {
        List<String> names = domain == Domain.ZOO ? Z_NAMES : S_NAMES;
        String io = pick(names), s;
        do { s = pick(names); } while (s.equals(io));
        String first = random.nextBoolean() ? io + " and " + s : s + " and " + io;
        return domain == Domain.ZOO
                ? "when " + first + " went to the " + pick(Z_PLACES) + " , " + s + " gave a " + pick(Z_OBJECTS) + " to"
                : "When " + first + " went to the " + pick(S_PLACES) + ", " + s + " gave a " + pick(S_THINGS) + " to";
    }

    /** A random sequence of in-vocabulary words, repeated: the second copy is predictable only by induction heads. */
    private String induction() {
        List<String> pool = domain == Domain.ZOO ? Z_OBJECTS : S_THINGS;
        StringBuilder b = new StringBuilder();
        int len = 8;
        String[] seq = new String[len];
        for (int i = 0; i < len; i++) seq[i] = pick(pool);
        String one = String.join(" ", seq);
        return one + " " + one.substring(0, one.lastIndexOf(' '));
    }

    private String successor() {
        List<String> seq = switch (random.nextInt(3)) {
            case 0 -> domain == Domain.ZOO ? Z_WEEKDAYS : List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday");
            case 1 -> domain == Domain.ZOO ? Z_MONTHS : List.of("January", "February", "March", "April", "May", "June", "July",
                    "August", "September", "October", "November", "December");
            default -> IntStream.range(1, 40).mapToObj(Integer::toString).toList();
        };
        int start = random.nextInt(seq.size() - 3);
        return seq.get(start) + " " + seq.get(start + 1) + " " + seq.get(start + 2);
    }

    private <T> T pick(List<T> l) {
        return l.get(random.nextInt(l.size()));
    }

    Random random() { return random; }
}
