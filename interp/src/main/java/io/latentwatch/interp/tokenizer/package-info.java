/**
 * Tokenizers: llama2.c's {@code tokenizer.bin} and Hugging Face {@code tokenizer.json} (DJL), behind one {@code
 * Tokenizer} interface.
 */
package io.latentwatch.interp.tokenizer;
