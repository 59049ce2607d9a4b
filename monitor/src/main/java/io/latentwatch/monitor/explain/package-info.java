/**
 * Explanations of alerts: the bounded explanation worker, the representation reader (logit lens, tuned lens,
 * token-identity Patchscope) fed by a representation source (the sample or its SAE reconstruction), and the plain-
 * words text.
 */
package io.latentwatch.monitor.explain;
