package io.latentwatch.interp.paths;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A localisation hypothesis: the set of paths claimed to carry the behaviour (Goldowsky-Dill et al. 2023).
 * Path patching runs these paths on the clean input and everything else on the reference input.
 *
 * <p>JSON form (what {@code path-patch --hypothesis FILE} reads):
 * <pre>{
 *   "name": "induction (naive)",
 *   "paths": ["embed -> L0H3.v -> L1H2.k -> logits", "embed -> L1H2.v -> logits"]
 * }</pre>
 */
public record Hypothesis(String name, List<CircuitPath> paths) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Hypothesis {
        paths = List.copyOf(new LinkedHashSet<>(paths));
    }

    public static Hypothesis empty() { return new Hypothesis("empty", List.of()); }

    /**
     * Every input-to-output path: each component computed entirely on the clean input and sent directly
     * to the logits. The union of "all paths ending in s -> logits" over all senders s is the whole graph.
     */
    public static Hypothesis fullGraph(ModelConfig c) {
        List<CircuitPath> ps = new ArrayList<>();
        for (Component s : Component.senders(c, Component.LOGITS)) ps.add(CircuitPath.of(s, Component.LOGITS, Port.IN));
        return new Hypothesis("full graph", ps);
    }

    public Hypothesis plus(String newName, List<CircuitPath> more) {
        List<CircuitPath> all = new ArrayList<>(paths);
        all.addAll(more);
        return new Hypothesis(newName, all);
    }

    public void checkIn(ModelConfig c) {
        for (CircuitPath p : paths) p.checkIn(c);
    }

    public static Hypothesis parseJson(String json, String source) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("hypothesis " + source + ": not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject() || !n.has("paths") || !n.get("paths").isArray())
            throw new IllegalArgumentException("hypothesis " + source + ": expected an object with a \"paths\" array of strings like \"embed -> L0H1.v -> L1H2.k -> logits\"");
        List<CircuitPath> ps = new ArrayList<>();
        int i = 0;
        for (JsonNode p : n.get("paths")) {
            if (!p.isTextual()) throw new IllegalArgumentException("hypothesis " + source + ": paths[" + i + "] is not a string");
            try {
                ps.add(CircuitPath.parse(p.asText()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("hypothesis " + source + ": paths[" + i + "]: " + e.getMessage(), e);
            }
            i++;
        }
        return new Hypothesis(n.has("name") ? n.get("name").asText() : source, ps);
    }

    public static Hypothesis read(Path file) throws IOException {
        return parseJson(Files.readString(file), file.toString());
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", name);
        ArrayNode a = o.putArray("paths");
        for (CircuitPath p : paths) a.add(p.toString());
        return o;
    }
}
