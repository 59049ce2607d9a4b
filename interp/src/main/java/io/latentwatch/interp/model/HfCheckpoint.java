package io.latentwatch.interp.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A Hugging Face model directory: config.json plus model.safetensors, or shards listed in
 * model.safetensors.index.json ("weight_map": tensor -> shard file). Tensors are widened to F32.
 */
final class HfCheckpoint {
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final JsonNode config;
    private final Map<String, SafeTensors> byTensor = new LinkedHashMap<>();
    final List<Path> files = new ArrayList<>();

    HfCheckpoint(Path dir) throws IOException {
        this.dir = dir;
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new IOException(dir + ": no config.json (not a Hugging Face model directory)");
        this.config = JSON.readTree(cfg.toFile());
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(single)) {
            SafeTensors st = SafeTensors.open(single);
            files.add(single);
            for (String n : st.names()) byTensor.put(n, st);
        } else if (Files.isRegularFile(index)) {
            JsonNode map = JSON.readTree(index.toFile()).path("weight_map");
            Map<String, SafeTensors> shards = new LinkedHashMap<>();
            for (String f : new TreeSet<String>(iter(map))) {
                Path p = dir.resolve(f);
                if (!Files.isRegularFile(p)) throw new IOException(index + ": shard " + f + " is missing");
                shards.put(f, SafeTensors.open(p));
                files.add(p);
            }
            for (var it = map.fields(); it.hasNext(); ) {
                var e = it.next();
                byTensor.put(e.getKey(), shards.get(e.getValue().asText()));
            }
        } else {
            throw new IOException(dir + ": neither model.safetensors nor model.safetensors.index.json found"
                    + " (pytorch_model.bin checkpoints are not supported; convert them to safetensors)");
        }
    }

    private static List<String> iter(JsonNode map) {
        List<String> out = new ArrayList<>();
        map.elements().forEachRemaining(n -> out.add(n.asText()));
        return out;
    }

    boolean has(String name) { return byTensor.containsKey(name); }

    /** The tensor with its shape checked: errors name the file, the tensor and both shapes. */
    Tensor get(String name, int... shape) throws IOException {
        SafeTensors st = byTensor.get(name);
        if (st == null) {
            throw new IOException(dir + ": missing tensor '" + name + "' (expected shape " + Arrays.toString(shape) + ")");
        }
        return st.get(name, shape);
    }

    int intCfg(String key, int dflt) {
        JsonNode n = config.get(key);
        if (n == null || n.isNull()) {
            if (dflt == Integer.MIN_VALUE) throw new IllegalArgumentException(dir + "/config.json: missing '" + key + "'");
            return dflt;
        }
        if (n.isArray()) return n.size() == 0 ? dflt : n.get(0).asInt();
        return n.asInt();
    }

    double numCfg(String key, double dflt) {
        JsonNode n = config.get(key);
        return n == null || n.isNull() ? dflt : n.asDouble();
    }

    boolean boolCfg(String key, boolean dflt) {
        JsonNode n = config.get(key);
        return n == null || n.isNull() ? dflt : n.asBoolean();
    }

    String strCfg(String key) {
        JsonNode n = config.get(key);
        return n == null || n.isNull() ? null : n.asText();
    }
}
