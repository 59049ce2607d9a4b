package io.latentwatch.interp.sae;

/**
 * What a person may add when a directory does not say everything.
 *
 * @param hookName          the TransformerLens hook the SAE reads, overriding (or supplying) the one
 *                          derived from the files; null to derive it
 * @param normScalingFactor the dataset-wide factor of an {@code expected_average_only_in} SAE, folded
 *                          into the weights as SAELens's {@code fold_activation_norm_scaling_factor};
 *                          null when the files carry it or the SAE has none
 * @param hookpoint         the sub-directory of a multi-hook sparsify directory (e.g. "layers.6"); null
 *                          when the directory holds one SAE
 */
public record SaeLoadOptions(String hookName, Float normScalingFactor, String hookpoint) {
    public static final SaeLoadOptions DEFAULTS = new SaeLoadOptions(null, null, null);
}
