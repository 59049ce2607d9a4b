package io.latentwatch.interp.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.latentwatch.common.dtype.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Shared test models: the real stories260K and random-initialised HF checkpoints written on demand. */
final class TestModels {
    private TestModels() {}

    static Path shared(String rel) {
        for (String base : new String[]{"../../shared", "../shared"}) {
            Path p = Path.of(base).resolve(rel);
            if (Files.exists(p)) return p;
        }
        throw new IllegalStateException("cannot find shared/" + rel + " (expected ../../shared or ../shared)");
    }

    static Path storiesBin() { return shared("models/stories260K/stories260K.bin"); }

    static Path storiesTok() { return shared("models/stories260K/tok512.bin"); }

    static {
        // The test models are tiny, so per-op overhead dominates and the machine's 2 cores are shared: one
        // intra-op thread avoids OpenMP oversubscription (10x faster here). An explicit setting wins.
        Engine.getEngine("PyTorch");
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) JniUtils.setNumThreads(1);
    }

    private static HookedTransformer stories;
    private static HookedTransformer gpt2;
    private static HookedTransformer llama;

    static synchronized HookedTransformer stories() throws IOException {
        if (stories == null) stories = HookedTransformer.load(storiesBin(), storiesTok());
        return stories;
    }

    /** A random GPT-2 (d 48, 4 heads, 2 layers, vocab 80, tied head). */
    static synchronized HookedTransformer gpt2() throws IOException {
        if (gpt2 == null) {
            Path dir = Files.createTempDirectory("lw-gpt2-");
            RandomCheckpoints.writeGpt2(dir, RandomCheckpoints.Gpt2Spec.tiny(), 7, DType.F32, 1);
            gpt2 = HookedTransformer.load(dir, null);
        }
        return gpt2;
    }

    /** A random GQA Llama (d 64, 4 heads, 2 kv heads, 2 layers, vocab 96, untied head). */
    static synchronized HookedTransformer llama() throws IOException {
        if (llama == null) {
            Path dir = Files.createTempDirectory("lw-llama-");
            RandomCheckpoints.writeLlama(dir, RandomCheckpoints.LlamaSpec.tiny(), 9, DType.F32, 1);
            llama = HookedTransformer.load(dir, null);
        }
        return llama;
    }

    static HookedTransformer byName(String name) throws IOException {
        return switch (name) {
            case "stories260K" -> stories();
            case "gpt2-random" -> gpt2();
            case "llama-random" -> llama();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Deterministic pseudo-random token ids in [3, vocab) (avoid BOS/EOS except at the start). */
    static int[] tokens(HookedTransformer m, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        int bos = m.config().bosId();
        for (int i = 0; i < n; i++) t[i] = 3 + r.nextInt(m.config().vocabSize() - 3);
        if (bos >= 0 && bos < m.config().vocabSize()) t[0] = bos;
        return t;
    }
}
