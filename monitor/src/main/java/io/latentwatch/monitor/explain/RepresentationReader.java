package io.latentwatch.monitor.explain;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.TokenProbability;

import java.util.List;

/**
 * Reads a flagged representation with the model: logit lens, tuned lens and the token-identity
 * Patchscope (Ghandeharioun et al. 2024). Slow (forward passes), so it runs on the bounded
 * {@link ExplanationWorker}, never on a stream thread. Implementations need the model's weights;
 * the monitor runs without one when none is configured (explanations then say "not-requested" and
 * which readings are missing).
 */
@FunctionalInterface
public interface RepresentationReader {
    /**
     * @param notRead the readings that could not be made, each with why (e.g. "tuned lens: none configured for
     *                stories260K"); the explanation's text says them, so a compliance reader knows what is missing
     */
    record Reading(List<TokenProbability> logitLens, List<TokenProbability> tunedLens, String patchscopeText, List<String> notRead) {
        public Reading {
            logitLens = List.copyOf(logitLens);
            tunedLens = List.copyOf(tunedLens);
            notRead = List.copyOf(notRead);
        }

        public Reading(List<TokenProbability> logitLens, List<TokenProbability> tunedLens, String patchscopeText) {
            this(logitLens, tunedLens, patchscopeText, List.of());
        }

        /** Nothing could be read, for {@code why}. */
        public static Reading none(String why) {
            return new Reading(List.of(), List.of(), null, List.of("logit lens, tuned lens and Patchscope: " + why));
        }
    }

    Reading read(Alert alert) throws Exception;
}
