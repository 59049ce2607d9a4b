package io.latentwatch.interp.paths;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.RandomCheckpoints;
import io.latentwatch.common.dtype.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Small random HF checkpoints written to a temp directory and loaded through the runtime. */
final class RandomModels {
    private RandomModels() {}

    /** d 64, 4 heads sharing 2 kv heads, 2 layers, vocab 96; init std 0.3 so patterns and effects are far from uniform. */
    static HookedTransformer llama(Path dir, long seed) throws IOException {
        RandomCheckpoints.writeLlama(dir, new RandomCheckpoints.LlamaSpec(64, 128, 4, 2, 2, 96, 64, 1e-5, 10000.0, false, 0.3),
                seed, DType.F32, 1);
        return HookedTransformer.load(dir, null);
    }

    static HookedTransformer gpt2(Path dir, long seed) throws IOException {
        RandomCheckpoints.writeGpt2(dir, new RandomCheckpoints.Gpt2Spec(48, 4, 2, 64, 80, 1e-5, 0.3), seed, DType.F32, 1);
        return HookedTransformer.load(dir, null);
    }

    static int[] randomTokens(SplittableRandom r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 1 + r.nextInt(vocab - 1);
        return t;
    }
}
