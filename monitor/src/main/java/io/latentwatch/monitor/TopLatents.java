package io.latentwatch.monitor;

import io.latentwatch.schema.Alert;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The latents an alert names, strongest first: the typed form of the alert attribute {@value #ATTRIBUTE}.
 * On the wire (Alert.attributes is a {@code map<string,string>}, Incident.topLatents a string, both released) it
 * stays {@code "id:activation,id:activation"}; this class is the one place that writes and parses that form, so
 * every reader (explanations, the SAE reconstruction for the Patchscope, the incident page) sees entries.
 */
public record TopLatents(List<Entry> entries) {
    /** The alert attribute that carries them. */
    public static final String ATTRIBUTE = "top_latents";

    /** One latent and its activation (for the drift detector: its observed firing frequency). */
    public record Entry(int latent, double activation) {}

    public TopLatents {
        entries = List.copyOf(entries);
    }

    /** The first {@code n} of parallel id/value lists (already sorted by activation). */
    public static TopLatents of(List<Integer> ids, List<? extends Number> values, int n) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < Math.min(n, ids.size()); i++) out.add(new Entry(ids.get(i), values.get(i).doubleValue()));
        return new TopLatents(out);
    }

    /**
     * Parses the wire form; throws naming the bad part. An empty or null string is no latents.
     */
    public static TopLatents parse(String wire) {
        List<Entry> out = new ArrayList<>();
        if (wire == null || wire.isBlank()) return new TopLatents(out);
        for (String part : wire.split(",")) {
            int colon = part.indexOf(':');
            try {
                if (colon < 0) throw new NumberFormatException("no ':'");
                out.add(new Entry(Integer.parseInt(part.substring(0, colon).trim()), Double.parseDouble(part.substring(colon + 1).trim())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(ATTRIBUTE + " part '" + part + "' is not latent:activation (in '" + wire + "')", e);
            }
        }
        return new TopLatents(out);
    }

    /** The latents {@code alert} carries; empty when it carries none (operational and lens alerts). */
    public static TopLatents of(Alert alert) {
        return parse(Optional.ofNullable(alert.getAttributes()).map(a -> a.get(ATTRIBUTE)).orElse(null));
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Writes the wire form into alert attributes. */
    public void putInto(Map<String, String> attributes) {
        attributes.put(ATTRIBUTE, encode());
    }

    /** {@code "id:activation,..."}, activations with 6 significant digits. */
    public String encode() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            if (sb.length() > 0) sb.append(',');
            sb.append(e.latent()).append(':').append(String.format(Locale.ROOT, "%.6g", e.activation()));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return encode();
    }
}
