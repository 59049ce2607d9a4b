package io.latentwatch.interp.reference;

import io.latentwatch.interp.model.RandomCheckpoints;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The fixtures are what they claim to be, judged by the reference's own readers. */
class FixturesTest {
    static final int[] PROMPT = {1, 9, 33, 60, 2, 17};

    @Test
    void storiesAsHfMatchesTheLlama2cFile(@TempDir Path dir) throws Exception {
        Fixtures.LlamaFixture hf = Fixtures.stories260KAsHf(dir);
        assertTrue(Files.exists(dir.resolve("config.json")) && Files.exists(dir.resolve("model.safetensors")));
        assertEquals(0, Fixtures.stories260K().reference().forward(ScalarLlamaTest.PROMPT).logits()
                .maxAbsDiff(hf.reference().forward(ScalarLlamaTest.PROMPT).logits()), 1e-9);
    }

    @Test
    void randomLlama2cFileReadsBackToItsReference(@TempDir Path dir) throws Exception {
        Fixtures.LlamaFixture f = Fixtures.randomLlama2c(dir.resolve("r.bin"));
        ScalarLlama back = Llama2cCheckpoint.read(f.path());
        assertEquals(2, back.config().nKvHeads());
        assertNotSame(back.weights().classifier, back.weights().tokenEmbedding);
        assertEquals(0, f.reference().forward(PROMPT).logits().maxAbsDiff(back.forward(PROMPT).logits()));
    }

    @Test
    void brokenFixturesAreBroken(@TempDir Path dir) throws Exception {
        Path trunc = Fixtures.truncatedSafetensors(dir.resolve("trunc"), 100);
        IOException e = assertThrows(IOException.class, () -> SafeTensors.open(trunc.resolve("model.safetensors")));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Path wrong = Fixtures.wrongShapeLlama(dir.resolve("wrong"));
        assertArrayEquals(new int[]{40, 64}, SafeTensors.open(wrong.resolve("model.safetensors")).shape("model.layers.1.self_attn.k_proj.weight"));
        Path missing = Fixtures.missingTensorGpt2(dir.resolve("missing"));
        assertFalse(SafeTensors.open(missing.resolve("model.safetensors")).contains("h.1.mlp.c_fc.weight"));
        Path unknown = Fixtures.unknownArchitecture(dir.resolve("unknown"));
        assertTrue(Files.readString(unknown.resolve("config.json")).contains("MambaForCausalLM"));
        Path shard = Fixtures.missingShard(dir.resolve("shard"));
        assertTrue(Files.exists(shard.resolve("model-00001-of-00002.safetensors")));
        Path bin = Fixtures.truncatedLlama2c(dir.resolve("t.bin"), 4096);
        assertThrows(IOException.class, () -> Llama2cCheckpoint.read(bin));
    }

    @Test
    void everyStorageVariantGivesItsOwnReference(@TempDir Path dir) throws Exception {
        double f32 = Double.NaN;
        for (DType d : DType.values()) {
            Fixtures.Gpt2Fixture g = Fixtures.randomHfGpt2(dir.resolve("g" + d), RandomCheckpoints.Gpt2Spec.tiny(), d, 1);
            double v = g.reference().forward(PROMPT).logits().data()[3];
            if (d == DType.F32) f32 = v;
            else assertNotEquals(f32, v, 1e-7, "storage rounding reaches the reference");
        }
    }

    @Test
    void fixturesCanSeeAWrongEpsilonOrTheta() {
        // The agreement tests hold logits to 1e-4: the fixtures must be sensitive enough that a loader
        // reading rms_norm_eps / layer_norm_epsilon / rope_theta wrongly moves logits well past that.
        int[] p = {1, 17, 60, 3, 3, 45, 69, 0, 12, 33};
        var ls = RandomCheckpoints.LlamaSpec.tiny();
        var lt = RandomCheckpoints.randomLlama(ls, 31);
        RefTensor l = ScalarLlama.fromHf(lt, 4, 2, 1e-5, 1e4).forward(p).logits();
        assertTrue(l.maxAbsDiff(ScalarLlama.fromHf(lt, 4, 2, 1e-6, 1e4).forward(p).logits()) > 5e-4);
        assertTrue(l.maxAbsDiff(ScalarLlama.fromHf(lt, 4, 2, 1e-5, 5e5).forward(p).logits()) > 1e-2);
        var gt = RandomCheckpoints.randomGpt2(RandomCheckpoints.Gpt2Spec.tiny(), 41);
        RefTensor g = ScalarGpt2.fromHf(gt, 4, 1e-5).forward(p).logits();
        assertTrue(g.maxAbsDiff(ScalarGpt2.fromHf(gt, 4, 1e-6).forward(p).logits()) > 3e-4);
    }
}
