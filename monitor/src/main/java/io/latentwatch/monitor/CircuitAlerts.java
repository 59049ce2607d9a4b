package io.latentwatch.monitor;

import io.latentwatch.monitor.detect.CircuitMatcher;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.Severity;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The circuit detector at projection time: one request's per-head codes matched against its model's
 * circuit signatures ({@link CircuitMatcher}, O'Neill & Bui 2024), a running match rate per circuit
 * in a changelogged store ({@code [samples, matches]} keyed {@code modelId|circuit}), and the alert
 * for each match, whose id is the source record plus the circuit (stable across a replay).
 */
final class CircuitAlerts {
    /** The hook an alert on per-head codes is filed under. */
    static final String HOOK = "blocks.*.attn (per-head codes)";

    /** The circuits that matched (names, for the projections' circuit_matches) and their alerts. */
    record Outcome(List<String> matched, List<Alert> alerts) {
        static final Outcome NONE = new Outcome(List.of(), List.of());
    }

    private final SaeRegistry registry;
    private final KeyValueStore<String, long[]> rates;
    private final MonitorMetrics metrics;
    private final Severity severity;

    CircuitAlerts(SaeRegistry registry, KeyValueStore<String, long[]> rates, MonitorMetrics metrics, Severity severity) {
        this.registry = registry;
        this.rates = rates;
        this.metrics = metrics;
        this.severity = severity;
    }

    /** Matches {@code codes} (per layer, each head's code) of the sample read from {@code source}. */
    Outcome match(HiddenStateSample sample, String source, Map<Integer, CircuitMatcher.HeadLatents> codes, long now) {
        if (codes == null || codes.isEmpty()) return Outcome.NONE;
        String model = sample.getModelId();
        List<CircuitSignature> sigs = registry.circuits(model);
        if (sigs.isEmpty()) return Outcome.NONE;
        List<CircuitMatcher.Match> matches = CircuitMatcher.match(sigs, codes);
        List<String> names = new ArrayList<>();
        List<Alert> alerts = new ArrayList<>();
        for (CircuitSignature s : sigs) {
            String key = model + "|" + s.getName();
            long[] rate = rates.get(key);
            if (rate == null) rate = new long[2];
            rate[0]++;
            CircuitMatcher.Match m = matches.stream().filter(x -> x.circuit().equals(s.getName())).findFirst().orElse(null);
            if (m != null) rate[1]++;
            rates.put(key, rate);
            metrics.circuitRate(model, s.getName(), (double) rate[1] / rate[0]);
            if (m == null) continue;
            names.add(s.getName());
            alerts.add(alert(sample, source, s, m, rate, now));
            metrics.alert(CircuitMatcher.NAME, model, HOOK);
            metrics.score(CircuitMatcher.NAME, m.score());
        }
        return new Outcome(names, alerts);
    }

    /** Alert key on the alerts topic. */
    static String key(String model) { return SaeRegistry.key(model, HOOK); }

    private Alert alert(HiddenStateSample sample, String source, CircuitSignature s, CircuitMatcher.Match m, long[] rate, long now) {
        String model = sample.getModelId();
        double r = (double) rate[1] / rate[0];
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("source", source);
        attrs.put("circuit", s.getName());
        attrs.put("matched_heads", String.join(",", m.matched()));
        attrs.put("circuit_rate", Alerts.fmt(r));
        attrs.put("circuit_matches", Long.toString(rate[1]));
        attrs.put("circuit_samples", Long.toString(rate[0]));
        Alert a = Alerts.operational(CircuitMatcher.NAME + ":" + source + ":" + s.getName(), model, sample.getModelVersion(), HOOK,
                CircuitMatcher.NAME, severity, null,
                String.format(Locale.ROOT, "%s: circuit '%s' active — %s; rate %.3f over %d sampled requests", model, s.getName(),
                        m.describe(), r, rate[0]),
                attrs, now, sample.getTimestampMs().toEpochMilli());
        a.setScore(m.score());
        a.setThreshold(m.threshold());
        a.setRequestId(sample.getRequestId());
        a.setNodeId(sample.getNodeId());
        return a;
    }
}
