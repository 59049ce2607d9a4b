package io.latentwatch.monitor.validate;

/** Why a hidden-state record went to the dead-letter topic; {@link #label()} is the header value and metric label. */
public enum DeadLetterReason {
    /** The bytes are not a HiddenStateSample in the Confluent wire format (or the value is null). */
    UNDECODABLE("undecodable"),
    /** An empty model id, or one longer than {@link SampleValidator#MAX_MODEL_ID} characters. */
    BAD_MODEL_ID("bad-model-id"),
    /** The sample carries no activations. */
    NO_ACTIVATIONS("no-activations"),
    /** A hook name that is not a TransformerLens hook name. */
    UNKNOWN_HOOK("unknown-hook"),
    /** No dtype, or data that is not a whole number of elements of its dtype. */
    BAD_DTYPE("bad-dtype"),
    /** A shape with no or non-positive dimensions, or whose size does not match the data. */
    SHAPE_MISMATCH("shape-mismatch"),
    /** A NaN or infinite value. */
    NON_FINITE("non-finite"),
    /** A negative token position. */
    BAD_POSITION("bad-position"),
    /** The same (hook, position) twice in one sample: it would count twice in every baseline. */
    DUPLICATE_ACTIVATION("duplicate-activation"),
    /** More bytes than {@code monitor.input.max.record.bytes}: refused before decoding. */
    OVERSIZED("oversized"),
    /**
     * A (model, hook) series beyond {@code monitor.input.max.series} in this task: a flood of new model ids or
     * hook names must not grow the per-series state without bound.
     */
    SERIES_LIMIT("series-limit"),
    /**
     * A valid activation whose size fits no SAE in force for its (model, hook): found at projection time, since
     * the SAE in force can change between samples (a hot swap to another d_in).
     */
    SAE_DIMENSION_MISMATCH("sae-dimension-mismatch");

    private final String label;

    DeadLetterReason(String label) { this.label = label; }

    public String label() { return label; }
}
