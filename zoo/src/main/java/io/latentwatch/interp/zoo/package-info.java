/**
 * The zoo models: the synthetic corpus with planted tasks, the trainer on the runtime's functional forward, the
 * planted circuits and their ground truth, behaviour checks, vocabulary and tokenizer JSON, loss plots.
 */
package io.latentwatch.interp.zoo;
