/**
 * Text generation with the KV cache: greedy or temperature/top-k/top-p sampling (seeded), stopping at EOS/BOS,
 * hooks firing on the prompt and on every generated token.
 */
package io.latentwatch.interp.generate;
