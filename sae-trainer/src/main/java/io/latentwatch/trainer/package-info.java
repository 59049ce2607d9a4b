/**
 * Training plumbing around interp's SAE math: activation sources (files, prompts, the examples and hidden-states
 * topics), bounded buffers, SAE and circuit-signature refits with their quality gates, the SHA-256 artifact store,
 * SaeVersion records and their publishing, and the refit scheduler. The long-lived service is in {@code service}.
 */
package io.latentwatch.trainer;
