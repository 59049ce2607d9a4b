package io.latentwatch.monitor.explain;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.TokenProbability;

import java.util.List;

/**
 * Reads a flagged representation with the model: logit lens, tuned lens and the token-identity
 * Patchscope (Ghandeharioun et al. 2024). Slow (forward passes), so it runs on the bounded
 * {@link ExplanationWorker}, never on a stream thread. Implementations need the model's weights;
 * the monitor runs without one when none is configured (explanations then say "not-requested" and
 * which readings are missing). {@link Reading#patchscopeStatus()} says what came of the Patchscope.
 */
@FunctionalInterface
public interface RepresentationReader {
    /**
     * @param patchscopeStatus the explanation's {@code patchscopeStatus} for this reading: {@value #DONE} (text decoded),
     *                {@value #BLANK} (decoded, but the model answered only whitespace or a stop token),
     *                {@value #NOT_APPLICABLE} (the representation is not a residual-stream state, e.g. one head's output, so no
     *                Patchscope of it exists) or {@value #UNAVAILABLE} (no representation to read: see {@code notRead})
     * @param notRead the readings that could not be made, each with why (e.g. "tuned lens: none configured for
     *                stories260K"); the explanation's text says them, so a compliance reader knows what is missing
     */
    record Reading(List<TokenProbability> logitLens, List<TokenProbability> tunedLens, String patchscopeText, String patchscopeStatus,
                   List<String> notRead) {
        public static final String DONE = "done";
        public static final String BLANK = "blank";
        public static final String NOT_APPLICABLE = "not-applicable";
        public static final String UNAVAILABLE = "unavailable";

        public Reading {
            logitLens = List.copyOf(logitLens);
            tunedLens = List.copyOf(tunedLens);
            notRead = List.copyOf(notRead);
        }

        /** A reading with a decoded Patchscope text: {@value #DONE}, or {@value #BLANK} when the text is empty. */
        public Reading(List<TokenProbability> logitLens, List<TokenProbability> tunedLens, String patchscopeText, List<String> notRead) {
            this(logitLens, tunedLens, patchscopeText, statusOf(patchscopeText), notRead);
        }

        public Reading(List<TokenProbability> logitLens, List<TokenProbability> tunedLens, String patchscopeText) {
            this(logitLens, tunedLens, patchscopeText, List.of());
        }

        /** Nothing could be read, for {@code why}. */
        public static Reading none(String why) {
            return new Reading(List.of(), List.of(), null, UNAVAILABLE, List.of("logit lens, tuned lens and Patchscope: " + why));
        }

        /** The status of a decoded text: blank when the model's answer holds nothing but whitespace (or was cut by a stop token). */
        static String statusOf(String text) {
            return text == null ? UNAVAILABLE : text.isBlank() ? BLANK : DONE;
        }
    }

    Reading read(Alert alert) throws Exception;
}
