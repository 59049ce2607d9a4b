package io.latentwatch.monitor.detect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.sae.LatentLabels;
import io.latentwatch.schema.Severity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Latents operators asked to watch, from a JSON file:
 *
 * <pre>{"entries": [
 *   {"name": "violence", "latent": 17, "threshold": 2.0, "severity": "CRITICAL"},
 *   {"name": "names", "labelMatches": "(?i)alice|bob", "threshold": 0.5, "severity": "WARNING",
 *    "model": "stories260K", "hook": "blocks.2.hook_resid_post"}
 * ]}</pre>
 *
 * An entry names its latent by id, or by a regular expression searched in each latent's label
 * (and its logit-lens tokens) from the SAE's {@code latentwatch_labels.json}; {@code model} and
 * {@code hook} restrict it (absent = every SAE). Label searches are resolved per SAE version,
 * since a new dictionary numbers its latents differently.
 */
public final class Watchlist {
    public static final String NAME = "watchlist";
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Entry(String name, Integer latent, Pattern labelMatches, double threshold, Severity severity,
                        String model, String hook) {
        boolean appliesTo(String m, String h) {
            return (model == null || model.equals(m)) && (hook == null || hook.equals(h));
        }
    }

    /** An entry resolved to one latent of one SAE. */
    public record Watched(Entry entry, int latent, String label) {}

    public record Hit(Watched watched, float activation) {}

    private final List<Entry> entries;

    public Watchlist(List<Entry> entries) { this.entries = List.copyOf(entries); }

    public static Watchlist empty() { return new Watchlist(List.of()); }

    public List<Entry> entries() { return entries; }

    public static Watchlist read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        return parse(root, file.toString());
    }

    public static Watchlist parse(String json, String where) throws IOException {
        return parse(JSON.readTree(json), where);
    }

    private static Watchlist parse(JsonNode root, String where) throws IOException {
        JsonNode arr = root == null ? null : root.get("entries");
        if (arr == null || !arr.isArray()) throw new IOException(where + ": expected {\"entries\": [...]}");
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode e = arr.get(i);
            String at = where + ": entries[" + i + "]";
            String name = e.path("name").asText(null);
            if (name == null || name.isBlank()) throw new IOException(at + ": missing 'name'");
            Integer latent = e.has("latent") ? e.get("latent").asInt() : null;
            Pattern p = null;
            if (e.has("labelMatches")) {
                try {
                    p = Pattern.compile(e.get("labelMatches").asText());
                } catch (PatternSyntaxException ex) {
                    throw new IOException(at + ": 'labelMatches' is not a valid regular expression: " + ex.getDescription());
                }
            }
            if ((latent == null) == (p == null)) throw new IOException(at + " ('" + name + "'): give exactly one of 'latent' or 'labelMatches'");
            if (latent != null && latent < 0) throw new IOException(at + ": latent id must be >= 0, got " + latent);
            if (!e.has("threshold") || !e.get("threshold").isNumber()) throw new IOException(at + " ('" + name + "'): missing numeric 'threshold'");
            Severity sev;
            try {
                sev = Severity.valueOf(e.path("severity").asText("WARNING").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException ex) {
                throw new IOException(at + ": severity must be INFO, WARNING or CRITICAL, got '" + e.path("severity").asText() + "'");
            }
            out.add(new Entry(name, latent, p, e.get("threshold").asDouble(), sev,
                    e.hasNonNull("model") ? e.get("model").asText() : null, e.hasNonNull("hook") ? e.get("hook").asText() : null));
        }
        return new Watchlist(out);
    }

    /** The watched latents of one SAE, by latent id. */
    public Map<Integer, List<Watched>> resolve(String model, String hook, int dSae, LatentLabels labels) {
        Map<Integer, List<Watched>> out = new HashMap<>();
        for (Entry e : entries) {
            if (!e.appliesTo(model, hook)) continue;
            if (e.latent() != null) {
                if (e.latent() < dSae) out.computeIfAbsent(e.latent(), k -> new ArrayList<>()).add(new Watched(e, e.latent(), labelOf(labels, e.latent())));
                continue;
            }
            if (labels == null) continue;
            for (LatentLabels.Latent l : labels.latents()) {
                String text = (l.label() == null ? "" : l.label()) + " " + String.join(" ", l.logitLens() == null ? List.of() : l.logitLens());
                if (e.labelMatches().matcher(text).find()) {
                    out.computeIfAbsent(l.id(), k -> new ArrayList<>()).add(new Watched(e, l.id(), l.label()));
                }
            }
        }
        return out;
    }

    public static List<Hit> hits(Map<Integer, List<Watched>> watched, List<Integer> latents, List<Float> values) {
        List<Hit> out = new ArrayList<>();
        if (watched.isEmpty()) return out;
        for (int i = 0; i < latents.size(); i++) {
            List<Watched> w = watched.get(latents.get(i));
            if (w == null) continue;
            for (Watched x : w) if (values.get(i) >= x.entry().threshold()) out.add(new Hit(x, values.get(i)));
        }
        return out;
    }

    static String labelOf(LatentLabels labels, int id) {
        if (labels == null) return null;
        for (LatentLabels.Latent l : labels.latents()) if (l.id() == id) return l.label();
        return null;
    }
}
