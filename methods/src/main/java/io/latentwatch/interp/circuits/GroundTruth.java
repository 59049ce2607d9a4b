package io.latentwatch.interp.circuits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The heads of a known circuit, read from a zoo {@code circuits.json}
 * ({@code tasks.<task>.heads[] = {layer, head, effect, role}}, heads confirmed by mean ablation of hook_z).
 */
public record GroundTruth(String task, Set<HeadId> heads, String source) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public GroundTruth {
        heads = Set.copyOf(new TreeSet<>(heads));
    }

    public boolean contains(HeadId h) { return heads.contains(h); }

    /** Ground truth for {@code task} (may be null when the file has exactly one task). */
    public static GroundTruth fromCircuitsJson(Path file, String task) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage());
        }
        JsonNode tasks = root == null ? null : root.get("tasks");
        if (tasks == null || !tasks.isObject() || tasks.isEmpty()) throw new IOException(file + ": no 'tasks' object (expected a zoo circuits.json)");
        List<String> names = new ArrayList<>();
        tasks.fieldNames().forEachRemaining(names::add);
        if (task == null) {
            if (names.size() != 1) throw new IOException(file + " holds tasks " + names + ": name one (--task)");
            task = names.get(0);
        }
        JsonNode t = tasks.get(task);
        if (t == null) throw new IOException(file + ": no task '" + task + "' (tasks: " + names + ")");
        JsonNode hs = t.get("heads");
        if (hs == null || !hs.isArray()) throw new IOException(file + ": task '" + task + "' has no 'heads' array");
        Set<HeadId> heads = new TreeSet<>();
        for (JsonNode h : hs) {
            if (!h.has("layer") || !h.has("head")) throw new IOException(file + ": task '" + task + "': a head lacks 'layer' or 'head': " + h);
            heads.add(new HeadId(h.get("layer").asInt(), h.get("head").asInt()));
        }
        return new GroundTruth(task, heads, file.toString());
    }
}
