package io.latentwatch.monitor;

import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.monitor.incident.IncidentMetrics;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.Incident;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The monitor's Prometheus metrics (client_java 1.x), named {@code latentwatch_<thing>_<unit>}.
 * Labels are model, hook, detector and dead-letter reason only, never request ids: each label
 * value makes a time series, and request ids would make one per request.
 */
public final class MonitorMetrics implements IncidentMetrics {
    /**
     * Distinct model (and hook) label values kept before further ones are folded into
     * {@value #OTHER}: model ids come from producers, and a broken or hostile one must not be able
     * to create unbounded time series.
     */
    public static final int MAX_LABEL_VALUES = 256;
    public static final String OTHER = "_other";

    private final Set<String> models = ConcurrentHashMap.newKeySet();
    private final Set<String> hooks = ConcurrentHashMap.newKeySet();
    private final PrometheusRegistry registry;
    private final int maxLabelValues;
    private final Counter processed;
    private final Counter deadLettered;
    private final Counter alerts;
    private final Histogram latency;
    private final Counter projected;
    private final Counter noSae;
    private final Histogram batchSize;
    private final Histogram endToEnd;
    private final Histogram scores;
    private final Gauge circuitRate;
    private final Counter versionsSwapped;
    private final Counter versionsRejected;
    private final Counter explanations;
    private final Counter labelOverflow;
    private final Counter incidents;
    private final Counter incidentsOpened;
    private final Counter replayLost;
    private final Counter requestsFlagged;
    private final Gauge falseAlarmTarget;

    public MonitorMetrics() { this(new PrometheusRegistry()); }

    public MonitorMetrics(PrometheusRegistry registry) { this(registry, MAX_LABEL_VALUES); }

    /** With a cap of {@code maxLabelValues} distinct model (and hook) values instead of {@value #MAX_LABEL_VALUES}. */
    public MonitorMetrics(PrometheusRegistry registry, int maxLabelValues) {
        if (maxLabelValues < 1) throw new IllegalArgumentException("maxLabelValues must be >= 1, got " + maxLabelValues);
        this.registry = registry;
        this.maxLabelValues = maxLabelValues;
        this.processed = Counter.builder()
                .name("latentwatch_records_processed_total")
                .help("Hidden-state samples that passed validation and went through the detectors")
                .labelNames("model")
                .register(registry);
        this.deadLettered = Counter.builder()
                .name("latentwatch_records_dead_lettered_total")
                .help("Hidden-state records written to the dead-letter topic, by reason")
                .labelNames("reason")
                .register(registry);
        this.replayLost = Counter.builder()
                .name("latentwatch_projection_replay_lost_total")
                .help("Samples buffered for projection before a restart that the input topic no longer held (retention) at start-up")
                .register(registry);
        this.alerts = Counter.builder()
                .name("latentwatch_alerts_total")
                .help("Alerts raised, by detector, model and hook")
                .labelNames("detector", "model", "hook")
                .register(registry);
        this.latency = Histogram.builder()
                .name("latentwatch_processing_latency_seconds")
                .help("Time the monitor spends on one record, from decoding to the last detector")
                .classicOnly()
                .classicUpperBounds(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
                .register(registry);
        this.projected = Counter.builder()
                .name("latentwatch_activations_projected_total")
                .help("Activation rows projected through an SAE, by model and hook")
                .labelNames("model", "hook").register(registry);
        this.noSae = Counter.builder()
                .name("latentwatch_samples_without_sae_total")
                .help("Activations that arrived for a model and hook with no SAE version in force (not projected, not dropped silently)")
                .labelNames("model", "hook").register(registry);
        this.batchSize = Histogram.builder()
                .name("latentwatch_projection_batch_rows")
                .help("Rows per SAE matmul (one micro-batch of one model and hook)")
                .classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)
                .register(registry);
        this.endToEnd = Histogram.builder()
                .name("latentwatch_end_to_end_latency_seconds")
                .help("From the sample's timestamp (set by the inference node) to its projection results being forwarded")
                .classicOnly().classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
                .register(registry);
        this.scores = Histogram.builder()
                .name("latentwatch_detector_score")
                .help("Scores of the detectors (each on its own scale: see the detector's documentation)")
                .labelNames("detector")
                .classicOnly().classicUpperBounds(1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 64)
                .register(registry);
        this.circuitRate = Gauge.builder()
                .name("latentwatch_circuit_match_ratio")
                .help("Share of sampled requests (with hook_z samples) whose head codes match the circuit signature")
                .labelNames("model", "circuit").register(registry);
        this.versionsSwapped = Counter.builder()
                .name("latentwatch_sae_versions_swapped_total")
                .help("SAE versions verified, loaded and put in force")
                .labelNames("model", "hook").register(registry);
        this.versionsRejected = Counter.builder()
                .name("latentwatch_sae_versions_rejected_total")
                .help("SAE versions refused (hash mismatch, unreadable files); the previous version stays in force")
                .labelNames("model", "hook").register(registry);
        this.explanations = Counter.builder()
                .name("latentwatch_explanations_total")
                .help("Explanations appended to the compliance log, by Patchscope status")
                .labelNames("status").register(registry);
        this.labelOverflow = Counter.builder()
                .name("latentwatch_metric_label_overflow_total")
                .help("Observations whose model or hook label was folded into \"" + OTHER + "\" because " + maxLabelValues
                        + " distinct values were already in use (a broken or hostile producer inventing ids)")
                .labelNames("label").register(registry);
        this.incidents = Counter.builder()
                .name("latentwatch_incidents_total")
                .help("Incident records published, by status (OPEN counts incidents opened or re-opened), model and severity")
                .labelNames("status", "model", "severity").register(registry);
        this.incidentsOpened = Counter.builder()
                .name("latentwatch_incidents_opened_total")
                .help("Incidents opened (first record of an incident; re-opens inside the cooldown not counted), by scope and severity")
                .labelNames("model", "scope", "severity").register(registry);
        this.requestsFlagged = Counter.builder()
                .name("latentwatch_requests_flagged_total")
                .help("Requests with at least one alert of the detector, counted once per request and detector; over "
                        + "latentwatch_records_processed_total (one sample per request) the share of requests it flags: its live "
                        + "false-alarm rate, as long as anomalies are rare")
                .labelNames("model", "detector").register(registry);
        this.falseAlarmTarget = Gauge.builder()
                .name("latentwatch_detector_false_alarm_target_ratio")
                .help("Share of normal requests the detector's threshold was chosen to flag, per SAE version in force (trainer calibration)")
                .labelNames("model", "hook", "detector").register(registry);
    }

    /** A request's first alert of {@code detector}. */
    @Override
    public void requestFlagged(String model, String detector) {
        requestsFlagged.labelValues(bounded(models, "model", model), detector).inc();
    }

    /** The target false-alarm rate of a detector's threshold for the version in force for (model, hook). */
    public void falseAlarmTarget(String model, String hook, String detector, double rate) {
        falseAlarmTarget.labelValues(bounded(models, "model", model), bounded(hooks, "hook", hook), detector).set(rate);
    }

    /** The targets of a version just put in force: its calibrated detectors and its circuit signatures. */
    public void falseAlarmTargets(LoadedSae sae) {
        if (sae == null) return;
        String model = sae.version().getModelId(), hook = sae.version().getHook();
        DetectorThresholds t = sae.thresholds();
        if (t != null) {
            if (t.get(DetectorThresholds.RECON_MARGIN) != null) falseAlarmTarget(model, hook, "recon-error", t.falseAlarmRate());
            if (t.get(DetectorThresholds.RARE_EPSILON) != null) falseAlarmTarget(model, hook, "rare-latent", t.falseAlarmRate());
            if (t.get(DetectorThresholds.NORM_Z) != null) falseAlarmTarget(model, hook, "activation-norm", t.falseAlarmRate());
        }
        for (CircuitSignature c : sae.version().getCircuits()) {
            if (c.getFalseAlarmRate() != null) falseAlarmTarget(model, hook, "circuit", c.getFalseAlarmRate());
        }
    }

    /**
     * The false-alarm target per request of each detector over all the hooks it watches with calibrated thresholds,
     * 1 - prod_h (1 - target_h) (a request is flagged when any hook's threshold is crossed), the highest over models.
     */
    public Map<String, Double> falseAlarmTargetsByDetector() {
        Map<String, Map<String, Double>> passByModel = new TreeMap<>();
        for (var d : falseAlarmTarget.collect().getDataPoints()) {
            passByModel.computeIfAbsent(d.getLabels().get("detector"), k -> new TreeMap<>())
                    .merge(d.getLabels().get("model"), 1 - d.getValue(), (a, b) -> a * b);
        }
        Map<String, Double> out = new TreeMap<>();
        passByModel.forEach((det, byModel) -> byModel.values().forEach(pass -> out.merge(det, 1 - pass, Math::max)));
        return out;
    }

    /** Requests flagged per detector (each request once per detector). */
    public Map<String, Long> requestsFlaggedByDetector() { return byLabel(requestsFlagged.collect(), "detector"); }

    @Override
    public void record(Incident published) { incident(published); }

    /** An incident record was published (open, update, resolve). */
    public void incident(Incident i) {
        incidents.labelValues(i.getStatus().name(), bounded(models, "model", i.getModelId()), i.getSeverity().name()).inc();
        if (i.getRevision() == 0) {
            incidentsOpened.labelValues(bounded(models, "model", i.getModelId()), i.getScope().name().toLowerCase(Locale.ROOT),
                    i.getSeverity().name()).inc();
        }
    }

    /** Incidents opened, by scope (request, window). */
    public Map<String, Long> incidentsOpenedByScope() { return byLabel(incidentsOpened.collect(), "scope"); }

    /** Incident records published, by status. */
    public Map<String, Long> incidentsByStatus() { return byLabel(incidents.collect(), "status"); }


    public void projected(String model, String hook) { projected(model, hook, 1); }

    /** {@code n} activation rows of (model, hook) projected (one label lookup for a sample's rows). */
    public void projected(String model, String hook, int n) {
        projected.labelValues(bounded(models, "model", model), bounded(hooks, "hook", hook)).inc(n);
    }

    public void noSae(String model, String hook) { noSae.labelValues(bounded(models, "model", model), bounded(hooks, "hook", hook)).inc(); }

    public void batch(int rows) { batchSize.observe(rows); }

    public void endToEndSeconds(double s) { endToEnd.observe(Math.max(0, s)); }

    public void score(String detector, double score) { scores.labelValues(detector).observe(score); }

    public void circuitRate(String model, String circuit, double r) { circuitRate.labelValues(bounded(models, "model", model), circuit).set(r); }

    public void versionSwapped(String model, String hook) { versionsSwapped.labelValues(bounded(models, "model", model), bounded(hooks, "hook", hook)).inc(); }

    public void versionRejected(String model, String hook) { versionsRejected.labelValues(bounded(models, "model", model), bounded(hooks, "hook", hook)).inc(); }

    public void explanation(String status) { explanations.labelValues(status).inc(); }

    public long projectedTotal() { return sum(projected.collect(), null); }

    public long withoutSaeTotal() { return sum(noSae.collect(), null); }

    public long explanationsTotal() { return sum(explanations.collect(), null); }

    public long batchCount() { return batchSize.collect().getDataPoints().stream().mapToLong(d -> d.getCount()).sum(); }

    public double batchRowsSum() { return batchSize.collect().getDataPoints().stream().mapToDouble(d -> d.getSum()).sum(); }

    public PrometheusRegistry registry() { return registry; }

    public void processed(String model) { processed.labelValues(bounded(models, "model", model)).inc(); }

    /** {@code n} buffered samples that could not be read back from the input topic after a restart. */
    public void replayLost(int n) { replayLost.inc(n); }

    public void deadLettered(String reason) { deadLettered.labelValues(reason).inc(); }

    public void alert(String detector, String model, String hook) {
        alerts.labelValues(detector, bounded(models, "model", model), bounded(hooks, "hook", hook)).inc();
    }

    private String bounded(Set<String> seen, String label, String value) {
        String v = value == null ? "" : value;
        if (seen.contains(v)) return v;
        synchronized (seen) {
            if (seen.size() < maxLabelValues) { seen.add(v); return v; }
        }
        labelOverflow.labelValues(label).inc();
        return OTHER;
    }

    /** Observations folded into {@value #OTHER}, by label (model, hook). */
    public Map<String, Long> labelOverflowByLabel() { return byLabel(labelOverflow.collect(), "label"); }

    /** Distinct values of {@code label} (model or hook) in use across all metrics, {@value #OTHER} not counted. */
    public int maxLabelValues() { return maxLabelValues; }

    public int labelValuesInUse(String label) { return "model".equals(label) ? models.size() : hooks.size(); }

    public void latencySeconds(double seconds) { latency.observe(seconds); }

    public long processedTotal() { return sum(processed.collect(), null); }

    public long deadLetteredTotal() { return sum(deadLettered.collect(), null); }

    public long alertsTotal() { return sum(alerts.collect(), null); }

    public long latencyCount() { return latency.collect().getDataPoints().stream().mapToLong(d -> d.getCount()).sum(); }

    /** Dead letters by reason. */
    public Map<String, Long> deadLetteredByReason() { return byLabel(deadLettered.collect(), "reason"); }

    /** Alerts by detector. */
    public Map<String, Long> alertsByDetector() { return byLabel(alerts.collect(), "detector"); }

    private static long sum(CounterSnapshot s, String ignored) {
        return Math.round(s.getDataPoints().stream().mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum());
    }

    private static Map<String, Long> byLabel(CounterSnapshot s, String label) {
        Map<String, Long> out = new TreeMap<>();
        for (CounterSnapshot.CounterDataPointSnapshot d : s.getDataPoints()) {
            out.merge(d.getLabels().get(label), Math.round(d.getValue()), Long::sum);
        }
        return out;
    }
}
