package io.latentwatch.monitor.explain;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.TokenProbability;

import java.util.List;

/**
 * Reads a flagged representation with the model: logit lens, tuned lens and the token-identity
 * Patchscope (Ghandeharioun et al. 2024). Slow (forward passes), so it runs on the bounded
 * {@link ExplanationWorker}, never on a stream thread. Implementations need the model's weights;
 * the monitor runs without one when none is configured (explanations then say "not-requested").
 */
@FunctionalInterface
public interface RepresentationReader {
    record Reading(List<TokenProbability> logitLens, List<TokenProbability> tunedLens, String patchscopeText) {}

    Reading read(Alert alert) throws Exception;
}
