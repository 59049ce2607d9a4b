package io.latentwatch.interp.zoo;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed zoo checkpoints are ordinary HF Llama directories: the runtime's loader (with the
 * HF tokenizer.json) reproduces the zoo's own training forward, so behaviour tests and circuits
 * measured with one hold for the other.
 */
class ZooRuntimeAgreementTest {
    @ParameterizedTest
    @ValueSource(strings = {"zoo-small", "zoo-base"})
    void runtimeLoaderAgreesWithTheZooForward(String name) throws Exception {
        Path dir = ZooModels.dir(name);
        String text = "when mary and john went to the store , john gave a drink to";
        try (HookedTransformer rt = HookedTransformer.load(dir, dir.resolve("tokenizer.json"));
             NDManager nm = NDManager.newBaseManager(); ZooLlama zoo = ZooLlama.load(dir, nm)) {
            int[] tokens = rt.toTokens(text);
            assertArrayEquals(ZooTasks.withBos(text), tokens, "runtime tokenizer gives the zoo's ids, BOS first");
            Tensor logits = rt.logits(tokens);
            float[][][] lp = ZooTasks.logProbs(zoo, new int[][] {tokens}, ZooLlama.NO_HOOKS);
            float[][] last = ZooTasks.lastLogits(zoo, new int[][] {tokens}, ZooLlama.NO_HOOKS);
            assertArrayEquals(last[0], logits.row(tokens.length - 1), 1e-4f, "last-position logits");
            assertEquals(tokens.length, lp[0].length);
        }
    }
}
