package io.latentwatch.interp.generate;

/**
 * Sampling settings. temperature 0 = greedy (argmax). topK 0 = no top-k filter; topP 1 = no nucleus filter.
 * Generation stops after maxNewTokens, at the context limit, at EOS, or (stopAtBos, llama2.c's rule) when
 * the model emits BOS, which delimits stories in llama2.c's training data.
 */
public record GenerationConfig(int maxNewTokens, float temperature, int topK, float topP, long seed, boolean stopAtEos,
                               boolean stopAtBos) {

    public GenerationConfig {
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0f, 0, 1f, 0L, true, true);
    }

    public static GenerationConfig sampling(int maxNewTokens, float temperature, int topK, float topP, long seed) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, true, true);
    }

    public GenerationConfig withStops(boolean eos, boolean bos) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, eos, bos);
    }
}
