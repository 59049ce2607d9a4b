package io.latentwatch.monitor.validate;

/** Why a hidden-state record went to the dead-letter topic; {@link #label()} is the header value and metric label. */
public enum DeadLetterReason {
    /** The bytes are not a HiddenStateSample in the Confluent wire format (or the value is null). */
    UNDECODABLE("undecodable"),
    /** The sample carries no activations. */
    NO_ACTIVATIONS("no-activations"),
    /** A hook name that is not a TransformerLens hook name. */
    UNKNOWN_HOOK("unknown-hook"),
    /** No dtype, or data that is not a whole number of elements of its dtype. */
    BAD_DTYPE("bad-dtype"),
    /** A shape with no or non-positive dimensions, or whose size does not match the data. */
    SHAPE_MISMATCH("shape-mismatch"),
    /** A NaN or infinite value. */
    NON_FINITE("non-finite");

    private final String label;

    DeadLetterReason(String label) { this.label = label; }

    public String label() { return label; }
}
