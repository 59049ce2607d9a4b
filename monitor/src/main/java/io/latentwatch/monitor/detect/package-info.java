/**
 * Detectors and their statistics, free of Kafka: reconstruction error, latent-frequency drift (binomial tails,
 * Benjamini-Hochberg), rare latents, watchlists, circuit signatures, activation norms (Welford), lens trajectory.
 */
package io.latentwatch.monitor.detect;
