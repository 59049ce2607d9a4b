/**
 * Lenses on the residual stream: the logit lens (nostalgebraist 2020) and the tuned lens (Belrose et al. 2023)
 * with its trainer, the residual-layer numbering, evaluation and its report.
 */
package io.latentwatch.interp.lens;
