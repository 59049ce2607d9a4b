package io.latentwatch.trainer;

import io.latentwatch.interp.sae.TokenContext;

/** One token's activation vector at a hook, with where it came from. */
public record ActivationRow(float[] values, TokenContext context) {}
