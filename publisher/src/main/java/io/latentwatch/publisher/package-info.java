/**
 * What an inference node embeds: the sampling policy, the activation encoder (F16/BF16/F32), the record key, and
 * the bounded, never-blocking idempotent publisher of hidden-state samples.
 */
package io.latentwatch.publisher;
