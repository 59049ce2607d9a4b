package io.latentwatch.monitor;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.LatentProjection;

/**
 * What the projection step emits, in memory within one sub-topology: a projected activation
 * (re-keyed by model|hook onto the internal projections topic), an alert raised at projection time
 * (missing SAE, circuit match, SAE version swapped or refused), or a dead letter (an activation whose
 * size fits no SAE in force: original bytes, reason in headers).
 */
public record ProjectionOutput(LatentProjection projection, Alert alert, byte[] deadLetter) {
    static ProjectionOutput of(LatentProjection p) { return new ProjectionOutput(p, null, null); }
    static ProjectionOutput of(Alert a) { return new ProjectionOutput(null, a, null); }
    static ProjectionOutput dead(byte[] original) { return new ProjectionOutput(null, null, original); }
}
