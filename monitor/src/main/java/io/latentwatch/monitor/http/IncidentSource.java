package io.latentwatch.monitor.http;

import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.Incident;

import java.util.List;
import java.util.Optional;

/** What the incident page shows, wherever it is kept (the monitor's state stores, or a test's fixtures). */
public interface IncidentSource {
    /** Every incident the monitor currently keeps (open, and resolved within their cooldown). */
    List<Incident> incidents() throws Exception;

    /** The hash-chained explanation of an alert, if the monitor still indexes it. */
    Optional<Explanation> explanation(String alertId) throws Exception;

    /** The label of a latent of the SAE version that projected the alert, or null. */
    String latentLabel(String modelId, String hook, String saeVersion, int latent);
}
