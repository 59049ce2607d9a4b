package io.latentwatch.chaos;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Alerts or explanations of a fault run against the reference run, by key (detector, request, hook, position, head:
 * the alert id with the sample's topic offset replaced by its request id, since offsets differ between runs). Per
 * detector: missing (in the reference, not in the fault run), extra (the other way) and duplicated (a key written more
 * than once in the fault run).
 */
public record Comparison(Map<String, Counts> byDetector) {
    /** Detectors whose verdict depends on the sample alone (and the SAE in force): exactly-once must make them equal. */
    public static final Set<String> PER_SAMPLE = Set.of("recon-error", "rare-latent", "circuit", "watchlist");

    public record Counts(int reference, int fault, int missing, int extra, int duplicated) {
        public boolean clean() { return missing == 0 && extra == 0 && duplicated == 0; }
    }

    public static Comparison of(List<TopicRecords.Item> reference, List<TopicRecords.Item> fault) {
        Map<String, Map<String, Integer>> ref = count(reference), got = count(fault);
        Map<String, Counts> out = new TreeMap<>();
        Set<String> detectors = new TreeSet<>(ref.keySet());
        detectors.addAll(got.keySet());
        for (String d : detectors) {
            Map<String, Integer> r = ref.getOrDefault(d, Map.of()), g = got.getOrDefault(d, Map.of());
            int missing = 0, extra = 0, dup = 0, nr = 0, ng = 0;
            for (var e : r.entrySet()) { nr += e.getValue(); if (!g.containsKey(e.getKey())) missing++; }
            for (var e : g.entrySet()) {
                ng += e.getValue();
                if (!r.containsKey(e.getKey())) extra++;
                if (e.getValue() > 1) dup += e.getValue() - 1;
            }
            out.put(d, new Counts(nr, ng, missing, extra, dup));
        }
        return new Comparison(out);
    }

    /** True when every per-sample detector has no missing, extra or duplicated entry. */
    public boolean perSampleClean() {
        return byDetector.entrySet().stream().filter(e -> PER_SAMPLE.contains(e.getKey())).allMatch(e -> e.getValue().clean());
    }

    private static Map<String, Map<String, Integer>> count(List<TopicRecords.Item> items) {
        Map<String, Map<String, Integer>> m = new HashMap<>();
        for (TopicRecords.Item i : items) m.computeIfAbsent(i.detector(), k -> new HashMap<>()).merge(i.key(), 1, Integer::sum);
        return m;
    }
}
