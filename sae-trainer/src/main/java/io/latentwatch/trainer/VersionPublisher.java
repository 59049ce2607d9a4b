package io.latentwatch.trainer;

import io.latentwatch.schema.SaeVersion;

/** Announces a new SAE version to the monitors (the compacted sae-versions topic, {@code Topics#saeVersions()}). */
@FunctionalInterface
public interface VersionPublisher extends AutoCloseable {
    /** Publishes and waits for the acknowledgement; throws if it was not written. */
    void publish(SaeVersion version) throws Exception;

    /** The record key: one live version per model and hook on the compacted topic. */
    static String key(SaeVersion v) {
        return v.getModelId() + "|" + v.getHook();
    }

    @Override
    default void close() {}
}
