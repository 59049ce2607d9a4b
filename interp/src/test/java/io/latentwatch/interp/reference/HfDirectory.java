package io.latentwatch.interp.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The reference's own reading of a Hugging Face checkpoint directory (config.json + model.safetensors
 * or shards with model.safetensors.index.json), independent of the runtime's loaders; only the
 * tensor-level SafeTensors reader is shared. Defaults follow transformers' config classes.
 */
public final class HfDirectory {
    private HfDirectory() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static JsonNode config(Path dir) throws IOException {
        return JSON.readTree(dir.resolve("config.json").toFile());
    }

    public static Map<String, Tensor> tensors(Path dir) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Path single = dir.resolve("model.safetensors");
        if (Files.exists(single)) {
            SafeTensors st = SafeTensors.open(single);
            for (String n : st.names()) out.put(n, st.get(n));
            return out;
        }
        JsonNode idx = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        Map<String, SafeTensors> open = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = idx.get("weight_map").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            SafeTensors st = open.computeIfAbsent(e.getValue().asText(), f -> {
                try { return SafeTensors.open(dir.resolve(f)); } catch (IOException ex) { throw new UncheckedIOException(ex); }
            });
            out.put(e.getKey(), st.get(e.getKey()));
        }
        return out;
    }

    public static String modelType(Path dir) throws IOException {
        return config(dir).path("model_type").asText();
    }

    /** A Llama directory as a reference model (rotate-half RoPE). */
    public static ScalarLlama llama(Path dir) throws IOException {
        JsonNode c = config(dir);
        int heads = c.get("num_attention_heads").asInt();
        int kv = c.path("num_key_value_heads").asInt(heads);
        double eps = c.path("rms_norm_eps").asDouble(1e-6);
        double theta = c.path("rope_theta").asDouble(10000.0);
        Map<String, Tensor> t = tensors(dir);
        if (c.path("tie_word_embeddings").asBoolean(false)) t.remove("lm_head.weight");
        return ScalarLlama.fromHf(t, heads, kv, eps, theta);
    }

    /** A GPT-2 directory as a reference model. */
    public static ScalarGpt2 gpt2(Path dir) throws IOException {
        JsonNode c = config(dir);
        return ScalarGpt2.fromHf(tensors(dir), c.get("n_head").asInt(), c.path("layer_norm_epsilon").asDouble(1e-5));
    }
}
