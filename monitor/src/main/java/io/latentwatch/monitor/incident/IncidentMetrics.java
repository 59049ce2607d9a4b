package io.latentwatch.monitor.incident;

import io.latentwatch.schema.Incident;

/** Where the incident processor reports incidents it publishes (the monitor's Prometheus registry). */
@FunctionalInterface
public interface IncidentMetrics {
    void record(Incident published);

    /**
     * A request got its first alert of {@code detector} (counted once per request and detector, whatever the number of
     * its alerts): with the requests processed, the share of requests each detector flags.
     */
    default void requestFlagged(String model, String detector) {}
}
