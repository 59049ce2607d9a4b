package io.latentwatch.interp.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A label per latent, written beside the SAE as {@code latentwatch_labels.json}: its top-activating
 * tokens with context (max-activating examples, Bricken et al. 2023) and, when a {@link DecoderLogits} is
 * given, the tokens its decoder direction promotes. The short {@code label} string is what alerts show.
 */
public record LatentLabels(List<Latent> latents) {
    public static final String FILE = "latentwatch_labels.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Example(String token, String context, float activation, int prompt, int position) {}

    public record Latent(int id, float frequency, List<Example> top, List<String> logitLens, String label) {}

    /**
     * @param rows     activation rows (row-major [n, d_in])
     * @param contexts one per row
     * @param topN     examples kept per latent
     * @param lens     may be null: labels then come from the examples only
     */
    public static LatentLabels compute(SparseAutoencoder sae, float[] rows, List<TokenContext> contexts, int topN, DecoderLogits lens) {
        int d = sae.config().dIn();
        int s = sae.config().dSae();
        int n = rows.length / d;
        if (contexts.size() != n) throw new IllegalArgumentException(n + " activation rows but " + contexts.size() + " token contexts");
        List<PriorityQueue<float[]>> heaps = new ArrayList<>(s);   // entries {activation, row}; min-heap of the top N
        for (int i = 0; i < s; i++) heaps.add(new PriorityQueue<>((a, b) -> Float.compare(a[0], b[0])));
        long[] fires = new long[s];
        int batch = 2048;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int start = 0; start < n; start += batch) {
                int rh = Math.min(batch, n - start);
                try (NDManager scope = m.newSubManager()) {
                    NDArray x = scope.create(Arrays.copyOfRange(rows, start * d, (start + rh) * d), new Shape(rh, d));
                    float[] z = sae.encode(x).toFloatArray();
                    for (int r = 0; r < rh; r++) {
                        for (int i = 0; i < s; i++) {
                            float v = z[r * s + i];
                            if (v <= 0) continue;
                            fires[i]++;
                            PriorityQueue<float[]> h = heaps.get(i);
                            if (h.size() < topN) h.add(new float[] {v, start + r});
                            else if (v > h.peek()[0]) { h.poll(); h.add(new float[] {v, start + r}); }
                        }
                    }
                }
            }
        }
        List<Latent> out = new ArrayList<>(s);
        for (int i = 0; i < s; i++) {
            List<float[]> top = new ArrayList<>(heaps.get(i));
            top.sort((a, b) -> Float.compare(b[0], a[0]));
            List<Example> ex = new ArrayList<>();
            for (float[] t : top) {
                TokenContext c = contexts.get((int) t[1]);
                ex.add(new Example(c.token(), c.context(), t[0], c.prompt(), c.position()));
            }
            List<String> ll = lens == null ? List.of() : lens.topTokens(sae.decoderRow(i), 8);
            out.add(new Latent(i, n == 0 ? 0f : (float) fires[i] / n, ex, ll, label(ex, ll)));
        }
        return new LatentLabels(out);
    }

    /** "top: 'once' 'upon' | promotes: 'a' 'time'", or "dead" when the latent never fired. */
    static String label(List<Example> ex, List<String> ll) {
        if (ex.isEmpty() && ll.isEmpty()) return "dead (never active on the reference data)";
        StringBuilder b = new StringBuilder();
        if (!ex.isEmpty()) {
            b.append("top:");
            ex.stream().map(Example::token).distinct().limit(4).forEach(t -> b.append(" '").append(t.strip()).append('\''));
        }
        if (!ll.isEmpty()) {
            if (b.length() > 0) b.append(" | ");
            b.append("promotes:");
            ll.stream().limit(4).forEach(t -> b.append(" '").append(t.strip()).append('\''));
        }
        return b.toString();
    }

    public void write(Path dir) throws IOException {
        ArrayNode arr = JSON.createArrayNode();
        for (Latent l : latents) {
            ObjectNode o = arr.addObject();
            o.put("id", l.id());
            o.put("frequency", l.frequency());
            o.put("label", l.label());
            ArrayNode top = o.putArray("top_activations");
            for (Example e : l.top()) {
                top.addObject().put("token", e.token()).put("context", e.context()).put("activation", e.activation())
                        .put("prompt", e.prompt()).put("position", e.position());
            }
            ArrayNode ll = o.putArray("logit_lens");
            l.logitLens().forEach(ll::add);
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "latentwatch latent labels v1");
        root.set("latents", arr);
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root), StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static LatentLabels read(Path dir) throws IOException {
        JsonNode root = JSON.readTree(dir.resolve(FILE).toFile());
        List<Latent> out = new ArrayList<>();
        for (JsonNode o : root.get("latents")) {
            List<Example> ex = new ArrayList<>();
            for (JsonNode e : o.get("top_activations")) {
                ex.add(new Example(e.get("token").asText(), e.get("context").asText(), (float) e.get("activation").asDouble(),
                        e.get("prompt").asInt(), e.get("position").asInt()));
            }
            List<String> ll = new ArrayList<>();
            o.get("logit_lens").forEach(t -> ll.add(t.asText()));
            out.add(new Latent(o.get("id").asInt(), (float) o.get("frequency").asDouble(), ex, ll, o.get("label").asText()));
        }
        return new LatentLabels(out);
    }
}
