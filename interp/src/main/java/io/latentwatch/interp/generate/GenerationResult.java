package io.latentwatch.interp.generate;

import io.latentwatch.interp.tensor.Tensor;
import java.util.Arrays;

/**
 * @param tokens    prompt followed by the generated tokens
 * @param promptLength number of prompt tokens
 * @param stepLogits logits that chose each generated token: [generated, vocab]
 * @param text      decoded continuation (generated tokens only), or null without a tokenizer
 */
public record GenerationResult(int[] tokens, int promptLength, Tensor stepLogits, String text) {

    public int[] generated() {
        return Arrays.copyOfRange(tokens, promptLength, tokens.length);
    }
}
