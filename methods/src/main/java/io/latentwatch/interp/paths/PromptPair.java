package io.latentwatch.interp.paths;

/**
 * A clean prompt, its reference (corrupted) prompt of the same length, and what the metric reads: at each of
 * {@code positions}, the logit of {@code answers[i]} (loss: its negative log-probability; logit difference:
 * minus the logit of {@code wrongs[i]}).
 */
public record PromptPair(int[] clean, int[] reference, int[] positions, int[] answers, int[] wrongs) {
    public PromptPair {
        if (clean.length != reference.length)
            throw new IllegalArgumentException("clean (" + clean.length + " tokens) and reference (" + reference.length + ") differ in length");
        if (positions.length == 0 || positions.length != answers.length || (wrongs != null && wrongs.length != positions.length))
            throw new IllegalArgumentException("positions, answers and wrongs must be non-empty and of equal length");
        for (int p : positions)
            if (p < 0 || p >= clean.length) throw new IllegalArgumentException("metric position " + p + " outside the prompt of " + clean.length + " tokens");
    }
}
