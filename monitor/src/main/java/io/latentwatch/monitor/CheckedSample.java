package io.latentwatch.monitor;

import io.latentwatch.monitor.validate.DeadLetterReason;
import io.latentwatch.schema.HiddenStateSample;

import java.util.List;

/**
 * A hidden-state record after validation, passed in memory between the processors of one
 * sub-topology (never serialized): the original bytes for the dead-letter topic, or the decoded
 * sample and its float32 activations for the detectors.
 */
public record CheckedSample(byte[] original, HiddenStateSample sample, List<float[]> values,
                            DeadLetterReason reason, String detail, long startNanos) {
    public boolean valid() { return reason == null; }
}
