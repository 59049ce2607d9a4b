package io.latentwatch.interp.lens;

/**
 * One decoder's score at one residual layer over an evaluation set (see {@link LensEvaluation} for definitions).
 *
 * @param klToFinal mean KL(model's final distribution || decoder's distribution), nats
 */
public record LayerScore(int layer, double precisionAt1, double surprisal, double klToFinal) {}
