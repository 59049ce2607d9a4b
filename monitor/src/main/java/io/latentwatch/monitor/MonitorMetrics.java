package io.latentwatch.monitor;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The monitor's Prometheus metrics (client_java 1.x), named {@code latentwatch_<thing>_<unit>}.
 * Labels are model, hook, detector and dead-letter reason only, never request ids: each label
 * value makes a time series, and request ids would make one per request.
 */
public final class MonitorMetrics {
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
    private final Counter processed;
    private final Counter deadLettered;
    private final Counter alerts;
    private final Histogram latency;

    public MonitorMetrics() { this(new PrometheusRegistry()); }

    public MonitorMetrics(PrometheusRegistry registry) {
        this.registry = registry;
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
    }

    public PrometheusRegistry registry() { return registry; }

    public void processed(String model) { processed.labelValues(bounded(models, model)).inc(); }

    public void deadLettered(String reason) { deadLettered.labelValues(reason).inc(); }

    public void alert(String detector, String model, String hook) {
        alerts.labelValues(detector, bounded(models, model), bounded(hooks, hook)).inc();
    }

    private static String bounded(Set<String> seen, String value) {
        String v = value == null ? "" : value;
        if (seen.contains(v)) return v;
        synchronized (seen) {
            if (seen.size() < MAX_LABEL_VALUES) { seen.add(v); return v; }
        }
        return OTHER;
    }

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
