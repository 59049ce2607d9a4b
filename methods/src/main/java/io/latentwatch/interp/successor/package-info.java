/**
 * Successor heads (Gould et al. 2023): ordinal tasks, succession scores of OV circuits on contextual inputs,
 * shuffled baselines, mod-10 features (with and without SAEs), the greater-than bias.
 */
package io.latentwatch.interp.successor;
