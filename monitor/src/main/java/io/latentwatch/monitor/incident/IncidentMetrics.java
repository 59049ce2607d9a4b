package io.latentwatch.monitor.incident;

import io.latentwatch.schema.Incident;

/** Where the incident processor reports incidents it publishes (the monitor's Prometheus registry). */
@FunctionalInterface
public interface IncidentMetrics {
    void record(Incident published);
}
