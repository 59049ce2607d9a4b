/**
 * The compliance log's integrity: the per-partition hash chain over explanations, HMAC-signed
 * checkpoints of the chain heads, redaction before anything is written, and the verifier behind
 * {@code latentwatch audit verify}.
 */
package io.latentwatch.monitor.audit;
