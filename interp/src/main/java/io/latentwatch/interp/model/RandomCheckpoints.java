package io.latentwatch.interp.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Writes random-initialised Hugging Face checkpoint directories (Llama and GPT-2) the way
 * {@code save_pretrained} lays them out: {@code config.json} with the keys transformers writes,
 * and {@code model.safetensors} (or shards {@code model-0000i-of-0000n.safetensors} with
 * {@code model.safetensors.index.json}) holding the HF tensor names.
 *
 * <p>Used by the correctness tests (random GPT-2 / Llama fixtures compared against an independent
 * scalar reference) and by the benchmark (a GPT-2-small-sized random model written on the fly, since
 * no real GPT-2 can be downloaded here). Weights are drawn from N(0, initializer_range^2) like
 * HF's {@code _init_weights}, except that norm gains are 1 + N(0, initializer_range^2) and biases
 * are small but non-zero, so that a test would notice a loader that drops them.
 *
 * <p>{@link #write} returns the tensors <em>as stored</em>: for F16/BF16 storage each value is
 * rounded to the storage type, so a reference computed from the returned arrays sees exactly the
 * numbers a loader widening the file back to F32 sees.
 */
public final class RandomCheckpoints {
    private RandomCheckpoints() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Hyper-parameters of a Hugging Face {@code LlamaForCausalLM}. */
    public record LlamaSpec(int hiddenSize, int intermediateSize, int numAttentionHeads, int numKeyValueHeads,
                            int numHiddenLayers, int vocabSize, int maxPositionEmbeddings, double rmsNormEps,
                            double ropeTheta, boolean tieWordEmbeddings, double initializerRange) {
        public LlamaSpec {
            if (hiddenSize % numAttentionHeads != 0) throw new IllegalArgumentException(
                    "hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numAttentionHeads);
            if (numAttentionHeads % numKeyValueHeads != 0) throw new IllegalArgumentException(
                    "num_attention_heads " + numAttentionHeads + " is not a multiple of num_key_value_heads " + numKeyValueHeads);
            if ((hiddenSize / numAttentionHeads) % 2 != 0) throw new IllegalArgumentException(
                    "head_dim " + hiddenSize / numAttentionHeads + " must be even for rotary embeddings");
        }

        public int headDim() { return hiddenSize / numAttentionHeads; }

        public int kvDim() { return numKeyValueHeads * headDim(); }

        /** A small Llama for tests: d 64, 4 heads, 2 kv heads, 2 layers, vocab 96. */
        public static LlamaSpec tiny() {
            return new LlamaSpec(64, 160, 4, 2, 2, 96, 128, 1e-5, 10000.0, false, 0.1);
        }
    }

    /** Hyper-parameters of a Hugging Face {@code GPT2LMHeadModel} (always with a tied lm head). */
    public record Gpt2Spec(int nEmbd, int nHead, int nLayer, int nPositions, int vocabSize,
                           double layerNormEpsilon, double initializerRange) {
        public Gpt2Spec {
            if (nEmbd % nHead != 0) throw new IllegalArgumentException(
                    "n_embd " + nEmbd + " is not a multiple of n_head " + nHead);
        }

        /** A small GPT-2 for tests: d 48, 4 heads, 2 layers, vocab 80. */
        public static Gpt2Spec tiny() {
            return new Gpt2Spec(48, 4, 2, 64, 80, 1e-5, 0.1);
        }

        /** GPT-2 small's shape (124M parameters) with HF's initializer_range 0.02. */
        public static Gpt2Spec small() {
            return new Gpt2Spec(768, 12, 12, 1024, 50257, 1e-5, 0.02);
        }
    }

    /**
     * {@code RandomCheckpoints gpt2-small|gpt2-tiny|llama-tiny DIR [F32|F16|BF16] [SEED]}: writes a
     * random-initialised HF directory (e.g. for the benchmark's GPT-2-small-sized model).
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: RandomCheckpoints gpt2-small|gpt2-tiny|llama-tiny DIR [F32|F16|BF16] [SEED]");
            System.exit(2);
        }
        Path dir = Path.of(args[1]);
        DType dtype = args.length > 2 ? DType.valueOf(args[2]) : DType.F32;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 0;
        switch (args[0]) {
            case "gpt2-small" -> writeGpt2(dir, Gpt2Spec.small(), seed, dtype, 1);
            case "gpt2-tiny" -> writeGpt2(dir, Gpt2Spec.tiny(), seed, dtype, 1);
            case "llama-tiny" -> writeLlama(dir, LlamaSpec.tiny(), seed, dtype, 1);
            default -> throw new IllegalArgumentException("unknown model '" + args[0] + "': gpt2-small, gpt2-tiny or llama-tiny");
        }
    }

    // ---------------------------------------------------------------- random tensors

    /** Random HF Llama tensors, in the order save_pretrained writes them (lm_head omitted when tied). */
    public static Map<String, Tensor> randomLlama(LlamaSpec s, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double std = s.initializerRange();
        int d = s.hiddenSize(), h = s.intermediateSize(), kv = s.kvDim();
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", normal(rnd, std, 0, s.vocabSize(), d));
        for (int i = 0; i < s.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            t.put(p + "self_attn.q_proj.weight", normal(rnd, std, 0, d, d));
            t.put(p + "self_attn.k_proj.weight", normal(rnd, std, 0, kv, d));
            t.put(p + "self_attn.v_proj.weight", normal(rnd, std, 0, kv, d));
            t.put(p + "self_attn.o_proj.weight", normal(rnd, std, 0, d, d));
            t.put(p + "mlp.gate_proj.weight", normal(rnd, std, 0, h, d));
            t.put(p + "mlp.up_proj.weight", normal(rnd, std, 0, h, d));
            t.put(p + "mlp.down_proj.weight", normal(rnd, std, 0, d, h));
            t.put(p + "input_layernorm.weight", normal(rnd, std, 1, d));
            t.put(p + "post_attention_layernorm.weight", normal(rnd, std, 1, d));
        }
        t.put("model.norm.weight", normal(rnd, std, 1, d));
        if (!s.tieWordEmbeddings()) t.put("lm_head.weight", normal(rnd, std, 0, s.vocabSize(), d));
        return t;
    }

    /**
     * Random HF GPT-2 tensors with the names of the published {@code gpt2} safetensors file (no
     * {@code transformer.} prefix, no lm_head: it is tied to wte). Conv1D weights are [in, out].
     */
    public static Map<String, Tensor> randomGpt2(Gpt2Spec s, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double std = s.initializerRange();
        double bias = std / 4;
        int d = s.nEmbd();
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("wte.weight", normal(rnd, std, 0, s.vocabSize(), d));
        t.put("wpe.weight", normal(rnd, std, 0, s.nPositions(), d));
        for (int i = 0; i < s.nLayer(); i++) {
            String p = "h." + i + ".";
            t.put(p + "ln_1.weight", normal(rnd, std, 1, d));
            t.put(p + "ln_1.bias", normal(rnd, bias, 0, d));
            t.put(p + "attn.c_attn.weight", normal(rnd, std, 0, d, 3 * d));
            t.put(p + "attn.c_attn.bias", normal(rnd, bias, 0, 3 * d));
            t.put(p + "attn.c_proj.weight", normal(rnd, std, 0, d, d));
            t.put(p + "attn.c_proj.bias", normal(rnd, bias, 0, d));
            t.put(p + "ln_2.weight", normal(rnd, std, 1, d));
            t.put(p + "ln_2.bias", normal(rnd, bias, 0, d));
            t.put(p + "mlp.c_fc.weight", normal(rnd, std, 0, d, 4 * d));
            t.put(p + "mlp.c_fc.bias", normal(rnd, bias, 0, 4 * d));
            t.put(p + "mlp.c_proj.weight", normal(rnd, std, 0, 4 * d, d));
            t.put(p + "mlp.c_proj.bias", normal(rnd, bias, 0, d));
        }
        t.put("ln_f.weight", normal(rnd, std, 1, d));
        t.put("ln_f.bias", normal(rnd, bias, 0, d));
        return t;
    }

    private static Tensor normal(SplittableRandom rnd, double std, double mean, int... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * rnd.nextGaussian());
        return new Tensor(v, shape);
    }

    // ---------------------------------------------------------------- config.json

    /** config.json of a LlamaForCausalLM, with the keys (and key order) transformers 4.4x writes. */
    public static ObjectNode llamaConfig(LlamaSpec s, DType storage) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("attention_bias", false);
        c.put("attention_dropout", 0.0);
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("head_dim", s.headDim());
        c.put("hidden_act", "silu");
        c.put("hidden_size", s.hiddenSize());
        c.put("initializer_range", s.initializerRange());
        c.put("intermediate_size", s.intermediateSize());
        c.put("max_position_embeddings", s.maxPositionEmbeddings());
        c.put("mlp_bias", false);
        c.put("model_type", "llama");
        c.put("num_attention_heads", s.numAttentionHeads());
        c.put("num_hidden_layers", s.numHiddenLayers());
        c.put("num_key_value_heads", s.numKeyValueHeads());
        c.put("pretraining_tp", 1);
        c.put("rms_norm_eps", s.rmsNormEps());
        c.putNull("rope_scaling");
        c.put("rope_theta", s.ropeTheta());
        c.put("tie_word_embeddings", s.tieWordEmbeddings());
        c.put("torch_dtype", torchDtype(storage));
        c.put("transformers_version", "4.44.2");
        c.put("use_cache", true);
        c.put("vocab_size", s.vocabSize());
        return c;
    }

    /** config.json of a GPT2LMHeadModel, with the keys transformers 4.4x writes. */
    public static ObjectNode gpt2Config(Gpt2Spec s, DType storage) {
        ObjectNode c = JSON.createObjectNode();
        c.put("activation_function", "gelu_new");
        c.putArray("architectures").add("GPT2LMHeadModel");
        c.put("attn_pdrop", 0.1);
        c.put("bos_token_id", s.vocabSize() - 1);
        c.put("embd_pdrop", 0.1);
        c.put("eos_token_id", s.vocabSize() - 1);
        c.put("initializer_range", s.initializerRange());
        c.put("layer_norm_epsilon", s.layerNormEpsilon());
        c.put("model_type", "gpt2");
        c.put("n_ctx", s.nPositions());
        c.put("n_embd", s.nEmbd());
        c.put("n_head", s.nHead());
        c.putNull("n_inner");
        c.put("n_layer", s.nLayer());
        c.put("n_positions", s.nPositions());
        c.put("reorder_and_upcast_attn", false);
        c.put("resid_pdrop", 0.1);
        c.put("scale_attn_by_inverse_layer_idx", false);
        c.put("scale_attn_weights", true);
        c.put("torch_dtype", torchDtype(storage));
        c.put("transformers_version", "4.44.2");
        c.put("use_cache", true);
        c.put("vocab_size", s.vocabSize());
        return c;
    }

    private static String torchDtype(DType d) {
        return switch (d) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        };
    }

    // ---------------------------------------------------------------- writing

    /** Random HF Llama directory; returns the tensors as stored (rounded to {@code storage}). */
    public static Map<String, Tensor> writeLlama(Path dir, LlamaSpec spec, long seed, DType storage, int shards) throws IOException {
        return write(dir, llamaConfig(spec, storage), randomLlama(spec, seed), storage, shards);
    }

    /** Random HF GPT-2 directory; returns the tensors as stored (rounded to {@code storage}). */
    public static Map<String, Tensor> writeGpt2(Path dir, Gpt2Spec spec, long seed, DType storage, int shards) throws IOException {
        return write(dir, gpt2Config(spec, storage), randomGpt2(spec, seed), storage, shards);
    }

    /**
     * Writes {@code config.json} and the tensors: one {@code model.safetensors} when {@code shards}
     * is 1, else {@code shards} files split in order by size plus {@code model.safetensors.index.json}
     * ({@code metadata.total_size}, {@code weight_map}) as transformers writes for sharded checkpoints.
     */
    public static Map<String, Tensor> write(Path dir, ObjectNode config, Map<String, Tensor> tensors,
                                            DType storage, int shards) throws IOException {
        if (shards < 1) throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        Files.createDirectories(dir);
        Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(config));
        Map<String, Tensor> stored = roundTo(storage, tensors);
        Map<String, String> meta = Map.of("format", "pt");
        if (shards == 1) {
            SafeTensors.write(dir.resolve("model.safetensors"), stored, meta, storage);
            return stored;
        }
        long total = 0;
        for (Tensor t : stored.values()) total += (long) t.size() * storage.bytes();
        List<Map<String, Tensor>> parts = new ArrayList<>();
        for (int i = 0; i < shards; i++) parts.add(new LinkedHashMap<>());
        long acc = 0;
        for (Map.Entry<String, Tensor> e : stored.entrySet()) {
            int part = (int) Math.min(shards - 1, acc * shards / Math.max(1, total));
            parts.get(part).put(e.getKey(), e.getValue());
            acc += (long) e.getValue().size() * storage.bytes();
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < shards; i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards);
            SafeTensors.write(dir.resolve(name), parts.get(i), meta, storage);
            for (String k : parts.get(i).keySet()) weightMap.put(k, name);
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode wm = index.putObject("weight_map");
        weightMap.forEach(wm::put);
        Files.write(dir.resolve("model.safetensors.index.json"), JSON.writeValueAsBytes(index));
        return stored;
    }

    /** The tensors with every value rounded to {@code dtype} and widened back (a copy; F32 returns them as is). */
    public static Map<String, Tensor> roundTo(DType dtype, Map<String, Tensor> tensors) {
        if (dtype == DType.F32) return tensors;
        Map<String, Tensor> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, new Tensor(
                Float16Codec.decode(dtype, Float16Codec.encode(dtype, t.data()), t.size()), t.shape())));
        return out;
    }
}
