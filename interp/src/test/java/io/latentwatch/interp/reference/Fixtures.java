package io.latentwatch.interp.reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.RandomCheckpoints;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checkpoint fixtures for the runtime-vs-reference tests, each paired with the scalar reference
 * built from the writer's in-memory (storage-rounded) arrays, never from the runtime's loader.
 */
public final class Fixtures {
    private Fixtures() {}

    public static final Path STORIES = shared("models/stories260K/stories260K.bin");
    public static final Path STORIES_TOKENIZER = shared("models/stories260K/tok512.bin");

    /**
     * A file under the shared data directory: $LATENTWATCH_SHARED (the root pom sets it for surefire and
     * failsafe to the checkout's sibling shared/), else ../../shared relative to the module directory.
     */
    public static Path shared(String rel) {
        String env = System.getenv("LATENTWATCH_SHARED");
        if (env != null && Files.exists(Path.of(env).resolve(rel))) return Path.of(env).resolve(rel);
        return Path.of("../../shared").resolve(rel);
    }

    public record LlamaFixture(String name, Path path, ScalarLlama reference) {
        @Override public String toString() { return name; }
    }

    public record Gpt2Fixture(String name, Path path, ScalarGpt2 reference) {
        @Override public String toString() { return name; }
    }

    /** The real stories260K llama2.c file and its reference (read by the reference's own reader). */
    public static LlamaFixture stories260K() throws IOException {
        return new LlamaFixture("stories260K.bin", STORIES, Llama2cCheckpoint.read(STORIES));
    }

    /** stories260K converted to a Hugging Face Llama directory (q/k permuted to rotate-half). */
    public static LlamaFixture stories260KAsHf(Path dir) throws IOException {
        ScalarLlama src = Llama2cCheckpoint.read(STORIES);
        Map<String, Tensor> t = Llama2cCheckpoint.toHf(src);
        RandomCheckpoints.LlamaSpec spec = new RandomCheckpoints.LlamaSpec(64, 172, 8, 4, 5, 512, 512, 1e-5, 1e4, true, 0.02);
        Map<String, Tensor> stored = RandomCheckpoints.write(dir, RandomCheckpoints.llamaConfig(spec, DType.F32), t, DType.F32, 1);
        return new LlamaFixture("stories260K-as-hf", dir, ScalarLlama.fromHf(stored, 8, 4, 1e-5, 1e4));
    }

    /** A random GQA Llama with a separate classifier written as a llama2.c v0 file (negative vocab_size). */
    public static LlamaFixture randomLlama2c(Path file) throws IOException {
        RandomCheckpoints.LlamaSpec s = RandomCheckpoints.LlamaSpec.tiny();
        Map<String, Tensor> hf = RandomCheckpoints.randomLlama(s, 21);
        ScalarLlama halves = ScalarLlama.fromHf(hf, s.numAttentionHeads(), s.numKeyValueHeads(), 1e-5, 1e4);
        // The random weights are taken as llama2.c (adjacent-pair) weights as they are.
        ScalarLlama m = new ScalarLlama(new ScalarLlama.Config(s.hiddenSize(), s.intermediateSize(), s.numHiddenLayers(),
                s.numAttentionHeads(), s.numKeyValueHeads(), s.vocabSize(), Llama2cCheckpoint.EPS, Llama2cCheckpoint.THETA,
                ScalarLlama.Rope.ADJACENT_PAIRS), halves.weights());
        Llama2cCheckpoint.write(file, m, s.maxPositionEmbeddings());
        return new LlamaFixture("random-llama2c-untied-gqa", file, m);
    }

    /** A random HF Llama directory in the given storage variant. */
    public static LlamaFixture randomHfLlama(Path dir, RandomCheckpoints.LlamaSpec s, DType dtype, int shards) throws IOException {
        Map<String, Tensor> stored = RandomCheckpoints.writeLlama(dir, s, 31, dtype, shards);
        return new LlamaFixture("hf-llama-" + dtype + "-" + shards + "shard-kv" + s.numKeyValueHeads(), dir,
                ScalarLlama.fromHf(stored, s.numAttentionHeads(), s.numKeyValueHeads(), s.rmsNormEps(), s.ropeTheta()));
    }

    /** A random HF GPT-2 directory in the given storage variant. */
    public static Gpt2Fixture randomHfGpt2(Path dir, RandomCheckpoints.Gpt2Spec s, DType dtype, int shards) throws IOException {
        Map<String, Tensor> stored = RandomCheckpoints.writeGpt2(dir, s, 41, dtype, shards);
        return new Gpt2Fixture("hf-gpt2-" + dtype + "-" + shards + "shard", dir,
                ScalarGpt2.fromHf(stored, s.nHead(), s.layerNormEpsilon()));
    }

    // ------------------------------------------------------------------ broken checkpoints

    /** A tiny GPT-2 directory whose model.safetensors lost its last {@code bytes} bytes. */
    public static Path truncatedSafetensors(Path dir, int bytes) throws IOException {
        RandomCheckpoints.writeGpt2(dir, RandomCheckpoints.Gpt2Spec.tiny(), 1, DType.F32, 1);
        truncate(dir.resolve("model.safetensors"), bytes);
        return dir;
    }

    /** A tiny Llama directory whose layer-1 k_proj has shape [kv_dim + 8, d] (the config implies [kv_dim, d]). */
    public static Path wrongShapeLlama(Path dir) throws IOException {
        RandomCheckpoints.LlamaSpec s = RandomCheckpoints.LlamaSpec.tiny();
        Map<String, Tensor> t = new LinkedHashMap<>(RandomCheckpoints.randomLlama(s, 1));
        t.put("model.layers.1.self_attn.k_proj.weight", new Tensor(new float[(s.kvDim() + 8) * s.hiddenSize()], s.kvDim() + 8, s.hiddenSize()));
        RandomCheckpoints.write(dir, RandomCheckpoints.llamaConfig(s, DType.F32), t, DType.F32, 1);
        return dir;
    }

    /** A tiny GPT-2 directory without h.1.mlp.c_fc.weight. */
    public static Path missingTensorGpt2(Path dir) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>(RandomCheckpoints.randomGpt2(RandomCheckpoints.Gpt2Spec.tiny(), 1));
        t.remove("h.1.mlp.c_fc.weight");
        RandomCheckpoints.write(dir, RandomCheckpoints.gpt2Config(RandomCheckpoints.Gpt2Spec.tiny(), DType.F32), t, DType.F32, 1);
        return dir;
    }

    /** A directory whose config.json names an architecture latentwatch does not implement. */
    public static Path unknownArchitecture(Path dir) throws IOException {
        RandomCheckpoints.writeGpt2(dir, RandomCheckpoints.Gpt2Spec.tiny(), 1, DType.F32, 1);
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        c.putArray("architectures").add("MambaForCausalLM");
        c.put("model_type", "mamba");
        Files.write(dir.resolve("config.json"), json.writeValueAsBytes(c));
        return dir;
    }

    /** A sharded directory whose second shard file is missing. */
    public static Path missingShard(Path dir) throws IOException {
        RandomCheckpoints.writeLlama(dir, RandomCheckpoints.LlamaSpec.tiny(), 1, DType.F32, 2);
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        return dir;
    }

    /** stories260K.bin copied with its last {@code bytes} bytes cut off. */
    public static Path truncatedLlama2c(Path file, int bytes) throws IOException {
        Files.copy(STORIES, file);
        file.toFile().setWritable(true);
        truncate(file, bytes);
        return file;
    }

    private static void truncate(Path f, int bytes) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() - bytes);
        }
    }
}
