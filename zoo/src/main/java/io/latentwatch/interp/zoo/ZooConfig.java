package io.latentwatch.interp.zoo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Architecture of a zoo model: a Llama (RMSNorm, rotate-half RoPE, SwiGLU MLP, no biases),
 * written and read as a Hugging Face {@code LlamaForCausalLM} {@code config.json}.
 */
public record ZooConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                        int maxPositions, double ropeTheta, double rmsNormEps, boolean tieWordEmbeddings) {

    public ZooConfig {
        if (hiddenSize % numHeads != 0) throw new IllegalArgumentException("hidden_size " + hiddenSize + " not divisible by heads " + numHeads);
        if ((hiddenSize / numHeads) % 2 != 0) throw new IllegalArgumentException("head dim must be even for RoPE");
    }

    public int headDim() { return hiddenSize / numHeads; }

    /** The two sizes of the zoo family (same vocabulary, same recipe; for cross-model patching). */
    public static ZooConfig forSize(String size) {
        int v = ZooVocabulary.get().size();
        return switch (size) {
            case "small" -> new ZooConfig(v, 64, 2, 4, 192, 128, 10000.0, 1e-5, false);
            case "base" -> new ZooConfig(v, 128, 4, 4, 352, 128, 10000.0, 1e-5, false);
            default -> throw new IllegalArgumentException("unknown zoo size '" + size + "' (expected small or base)");
        };
    }

    public ObjectNode toHfJson() {
        ZooVocabulary vocab = ZooVocabulary.get();
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.putArray("architectures").add("LlamaForCausalLM");
        o.put("model_type", "llama");
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_attention_heads", numHeads);
        o.put("num_key_value_heads", numHeads);
        o.put("num_hidden_layers", numLayers);
        o.put("head_dim", headDim());
        o.put("hidden_act", "silu");
        o.put("rms_norm_eps", rmsNormEps);
        o.put("rope_theta", ropeTheta);
        o.put("vocab_size", vocabSize);
        o.put("max_position_embeddings", maxPositions);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("attention_bias", false);
        o.put("mlp_bias", false);
        o.put("bos_token_id", vocab.bos());
        o.put("eos_token_id", vocab.eos());
        o.put("pad_token_id", vocab.pad());
        o.put("torch_dtype", "float32");
        return o;
    }

    public void write(Path file) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), toHfJson());
    }

    public static ZooConfig read(Path file) throws IOException {
        JsonNode n = new ObjectMapper().readTree(file.toFile());
        for (String f : new String[] {"hidden_size", "intermediate_size", "num_attention_heads", "num_hidden_layers", "vocab_size"})
            if (!n.has(f)) throw new IOException(file + ": missing field '" + f + "'");
        if (n.has("num_key_value_heads") && n.get("num_key_value_heads").asInt() != n.get("num_attention_heads").asInt())
            throw new IOException(file + ": grouped-query attention is not used by zoo models");
        return new ZooConfig(n.get("vocab_size").asInt(), n.get("hidden_size").asInt(), n.get("num_hidden_layers").asInt(),
                n.get("num_attention_heads").asInt(), n.get("intermediate_size").asInt(),
                n.path("max_position_embeddings").asInt(2048), n.path("rope_theta").asDouble(10000.0),
                n.path("rms_norm_eps").asDouble(1e-6), n.path("tie_word_embeddings").asBoolean(false));
    }
}
