package io.latentwatch.publisher;

import io.latentwatch.schema.HiddenStateSample;

import java.util.Locale;

/**
 * How a hidden-state sample is keyed on the hidden-states topic, which decides its partition.
 *
 * <ul>
 *   <li>{@link #MODEL_REQUEST} ({@code model-request}, what nodes use): {@code modelId|requestId}, so one model's
 *       traffic spreads over every partition (and every monitor instance) while the samples of one request stay
 *       together and in order. The monitor re-keys projections by {@code model|hook} through an internal topic, so
 *       its SAE detectors still see all of a model's traffic.</li>
 *   <li>{@link #MODEL} ({@code model}): the model id, so all samples of a model land in one partition, in
 *       order; one model can then use only one monitor task.</li>
 * </ul>
 */
public enum SampleKey {
    MODEL_REQUEST,
    MODEL;

    /** The record key of {@code s}; a sample without a request id is keyed by its timestamp instead. */
    public String of(HiddenStateSample s) {
        if (this == MODEL) return s.getModelId();
        String request = s.getRequestId() != null ? s.getRequestId() : "t" + s.getTimestampMs().toEpochMilli();
        return s.getModelId() + "|" + request;
    }

    /** {@code model-request} or {@code model}, as flags and configuration spell them. */
    public String flag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static SampleKey parse(String s) {
        for (SampleKey k : values()) if (k.flag().equals(s.strip().toLowerCase(Locale.ROOT))) return k;
        throw new IllegalArgumentException("unknown sample key '" + s + "': use model-request (spread a model over partitions) or model");
    }
}
