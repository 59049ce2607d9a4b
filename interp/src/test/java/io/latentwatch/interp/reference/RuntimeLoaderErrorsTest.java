package io.latentwatch.interp.reference;

import io.latentwatch.interp.model.HookedTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Bad checkpoints fail with a message naming the file, the tensor and the shapes involved. */
class RuntimeLoaderErrorsTest {
    @TempDir
    Path tmp;

    static String messageOf(Path model) {
        Exception e = assertThrows(Exception.class, () -> {
            try (HookedTransformer m = HookedTransformer.load(model, null)) {
                fail("loaded " + m);
            }
        });
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) all.append(t.getMessage()).append(" | ");
        return all.toString();
    }

    static void assertMentions(String msg, String... parts) {
        for (String p : parts) assertTrue(msg.contains(p), "message should mention '" + p + "': " + msg);
    }

    @Test
    void truncatedSafetensors() throws Exception {
        Path d = Fixtures.truncatedSafetensors(tmp.resolve("t"), 100);
        assertMentions(messageOf(d), "model.safetensors", "truncated");
    }

    @Test
    void wrongShape() throws Exception {
        Path d = Fixtures.wrongShapeLlama(tmp.resolve("w"));
        assertMentions(messageOf(d), "model.layers.1.self_attn.k_proj.weight", "[40, 64]", "[32, 64]");
    }

    @Test
    void missingTensor() throws Exception {
        Path d = Fixtures.missingTensorGpt2(tmp.resolve("m"));
        assertMentions(messageOf(d), "h.1.mlp.c_fc.weight");
    }

    @Test
    void unknownArchitecture() throws Exception {
        Path d = Fixtures.unknownArchitecture(tmp.resolve("u"));
        String msg = messageOf(d);
        assertTrue(msg.contains("MambaForCausalLM") || msg.contains("mamba"), msg);
        assertMentions(msg, "config.json");
    }

    @Test
    void missingShard() throws Exception {
        Path d = Fixtures.missingShard(tmp.resolve("s"));
        assertMentions(messageOf(d), "model-00002-of-00002.safetensors");
    }

    @Test
    void truncatedLlama2cFile() throws Exception {
        Path f = Fixtures.truncatedLlama2c(tmp.resolve("cut.bin"), 4096);
        assertMentions(messageOf(f), "cut.bin");
    }
}
