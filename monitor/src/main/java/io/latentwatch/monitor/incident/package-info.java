/**
 * Incidents: the monitor's alerts grouped into what an on-call engineer is paged about. One incident
 * per request (every detector, hook and head that fired on it), one per (model, hook, detector) for
 * window-level findings such as latent drift; each opens, updates, resolves after a quiet period and
 * re-opens inside a cooldown instead of paging again. {@link io.latentwatch.monitor.incident.IncidentGrouper}
 * holds the rules (no Kafka), {@link io.latentwatch.monitor.incident.IncidentProcessor} runs them on a
 * changelogged state store, {@link io.latentwatch.monitor.incident.IncidentTopology} wires them into the
 * monitor's topology and {@link io.latentwatch.monitor.incident.AlertmanagerRouter} pushes them to
 * Alertmanager.
 */
package io.latentwatch.monitor.incident;
