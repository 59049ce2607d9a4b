package io.latentwatch.interp.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.model.RandomCheckpoints;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The fixture writer writes what Hugging Face writes, and hands back exactly what it stored. */
class RandomCheckpointsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void llamaConfigHasTheHfKeys(@TempDir Path dir) throws Exception {
        RandomCheckpoints.LlamaSpec s = RandomCheckpoints.LlamaSpec.tiny();
        RandomCheckpoints.writeLlama(dir, s, 1, DType.BF16, 1);
        JsonNode c = JSON.readTree(dir.resolve("config.json").toFile());
        assertEquals("LlamaForCausalLM", c.get("architectures").get(0).asText());
        assertEquals("llama", c.get("model_type").asText());
        assertEquals(64, c.get("hidden_size").asInt());
        assertEquals(160, c.get("intermediate_size").asInt());
        assertEquals(4, c.get("num_attention_heads").asInt());
        assertEquals(2, c.get("num_key_value_heads").asInt());
        assertEquals(2, c.get("num_hidden_layers").asInt());
        assertEquals(1e-5, c.get("rms_norm_eps").asDouble());
        assertEquals(10000.0, c.get("rope_theta").asDouble());
        assertEquals(96, c.get("vocab_size").asInt());
        assertEquals(128, c.get("max_position_embeddings").asInt());
        assertFalse(c.get("tie_word_embeddings").asBoolean());
        assertEquals("bfloat16", c.get("torch_dtype").asText());
    }

    @Test
    void gpt2ConfigHasTheHfKeys(@TempDir Path dir) throws Exception {
        RandomCheckpoints.writeGpt2(dir, RandomCheckpoints.Gpt2Spec.tiny(), 1, DType.F32, 1);
        JsonNode c = JSON.readTree(dir.resolve("config.json").toFile());
        assertEquals("GPT2LMHeadModel", c.get("architectures").get(0).asText());
        assertEquals("gpt2", c.get("model_type").asText());
        assertEquals("gelu_new", c.get("activation_function").asText());
        assertEquals(48, c.get("n_embd").asInt());
        assertEquals(4, c.get("n_head").asInt());
        assertEquals(2, c.get("n_layer").asInt());
        assertEquals(64, c.get("n_positions").asInt());
        assertEquals(80, c.get("vocab_size").asInt());
        assertEquals(1e-5, c.get("layer_norm_epsilon").asDouble());
        assertTrue(c.get("n_inner").isNull());
    }

    @Test
    void everyStorageVariantReadsBackAsReturned(@TempDir Path root) throws Exception {
        for (DType dtype : DType.values()) {
            for (int shards : new int[]{1, 3}) {
                Path dir = root.resolve(dtype + "-" + shards);
                Map<String, Tensor> stored = RandomCheckpoints.writeGpt2(dir, RandomCheckpoints.Gpt2Spec.tiny(), 7, dtype, shards);
                Map<String, Tensor> read = readDir(dir);
                assertEquals(stored.keySet(), read.keySet());
                for (String k : stored.keySet()) {
                    assertArrayEquals(stored.get(k).shape(), read.get(k).shape(), k);
                    assertArrayEquals(stored.get(k).data(), read.get(k).data(), 0f, k);
                }
                assertArrayEquals(new int[]{48, 144}, read.get("h.0.attn.c_attn.weight").shape(), "Conv1D [in, out]");
                if (dtype != DType.F32) {
                    Map<String, Tensor> f32 = RandomCheckpoints.randomGpt2(RandomCheckpoints.Gpt2Spec.tiny(), 7);
                    float diff = f32.get("wte.weight").maxAbsDiff(stored.get("wte.weight"));
                    assertTrue(diff > 0 && diff < 0.02, dtype + " rounding " + diff);
                }
            }
        }
    }

    @Test
    void shardIndexIsWhatTransformersWrites(@TempDir Path dir) throws Exception {
        Map<String, Tensor> stored = RandomCheckpoints.writeLlama(dir, RandomCheckpoints.LlamaSpec.tiny(), 3, DType.F16, 2);
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
        JsonNode idx = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        long total = 0;
        for (Tensor t : stored.values()) total += 2L * t.size();
        assertEquals(total, idx.get("metadata").get("total_size").asLong());
        Set<String> files = new HashSet<>();
        idx.get("weight_map").fields().forEachRemaining(e -> files.add(e.getValue().asText()));
        assertEquals(Set.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"), files);
        assertEquals(stored.keySet(), readDir(dir).keySet());
        assertTrue(stored.containsKey("lm_head.weight"), "untied tiny Llama has an lm_head");
    }

    @Test
    void tiedLlamaOmitsTheLmHead() {
        RandomCheckpoints.LlamaSpec s = RandomCheckpoints.LlamaSpec.tiny();
        RandomCheckpoints.LlamaSpec tied = new RandomCheckpoints.LlamaSpec(s.hiddenSize(), s.intermediateSize(), 4, 4, 1,
                s.vocabSize(), 64, 1e-6, 500000.0, true, 0.1);
        Map<String, Tensor> t = RandomCheckpoints.randomLlama(tied, 1);
        assertFalse(t.containsKey("lm_head.weight"));
        assertArrayEquals(new int[]{64, 64}, t.get("model.layers.0.self_attn.k_proj.weight").shape());
        ScalarLlama m = ScalarLlama.fromHf(t, 4, 4, 1e-6, 500000.0);
        assertSame(m.weights().tokenEmbedding, m.weights().classifier);
        assertTrue(m.forward(new int[]{1, 2, 3}).logits().maxAbs() > 0.5);
    }

    @Test
    void randomLlamaLogitsAreNotTrivial() {
        Map<String, Tensor> t = RandomCheckpoints.randomLlama(RandomCheckpoints.LlamaSpec.tiny(), 11);
        ScalarLlama.Result r = ScalarLlama.fromHf(t, 4, 2, 1e-5, 1e4).forward(new int[]{1, 50, 7, 95, 7, 3});
        assertTrue(r.logits().maxAbs() > 0.5, "max |logit| " + r.logits().maxAbs());
        RefTensor p = r.hooks().get("blocks.1.attn.hook_pattern");
        double maxOffDiag = 0;
        for (int h = 0; h < 4; h++) maxOffDiag = Math.max(maxOffDiag, p.data()[(h * 6 + 5) * 6]);
        assertTrue(maxOffDiag > 0.05 && maxOffDiag < 0.95, "attention neither uniform-trivial nor one-hot: " + maxOffDiag);
    }

    @Test
    void fileBytesFollowTheSafetensorsSpecDecodedByHand(@TempDir Path root) throws Exception {
        // Independent of SafeTensors/Float16Codec: parse the header and decode F16/BF16 bit patterns here.
        for (DType dtype : DType.values()) {
            Path dir = root.resolve(dtype.name());
            Map<String, Tensor> stored = RandomCheckpoints.writeGpt2(dir, RandomCheckpoints.Gpt2Spec.tiny(), 5, dtype, 1);
            byte[] file = Files.readAllBytes(dir.resolve("model.safetensors"));
            ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            int headerLen = (int) b.getLong(0);
            JsonNode header = JSON.readTree(new String(file, 8, headerLen, StandardCharsets.UTF_8));
            assertEquals("pt", header.get("__metadata__").get("format").asText());
            for (String name : new String[]{"wte.weight", "h.1.attn.c_attn.bias", "ln_f.weight"}) {
                JsonNode e = header.get(name);
                assertEquals(dtype.name(), e.get("dtype").asText());
                int begin = 8 + headerLen + e.get("data_offsets").get(0).asInt();
                float[] want = stored.get(name).data();
                for (int i = 0; i < want.length; i++) {
                    float got = switch (dtype) {
                        case F32 -> b.getFloat(begin + 4 * i);
                        case BF16 -> Float.intBitsToFloat((b.getShort(begin + 2 * i) & 0xffff) << 16);
                        case F16 -> halfByHand(b.getShort(begin + 2 * i));
                    };
                    assertEquals(want[i], got, 0f, dtype + " " + name + "[" + i + "]");
                }
            }
        }
    }

    /** IEEE binary16 to float from the definition: (-1)^s * 2^(e-15) * 1.m, subnormals 2^-14 * 0.m. */
    static float halfByHand(short h) {
        int s = (h >> 15) & 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
        double v = e == 0 ? Math.scalb(m / 1024.0, -14) : Math.scalb(1 + m / 1024.0, e - 15);
        return (float) (s == 1 ? -v : v);
    }

    /** Reads a HF directory through the shared SafeTensors reader (not the runtime's loader). */
    static Map<String, Tensor> readDir(Path dir) throws Exception {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Path single = dir.resolve("model.safetensors");
        if (Files.exists(single)) {
            SafeTensors st = SafeTensors.open(single);
            for (String n : st.names()) out.put(n, st.get(n));
            return out;
        }
        JsonNode idx = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        for (Iterator<Map.Entry<String, JsonNode>> it = idx.get("weight_map").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), SafeTensors.open(dir.resolve(e.getValue().asText())).get(e.getKey()));
        }
        return out;
    }
}
