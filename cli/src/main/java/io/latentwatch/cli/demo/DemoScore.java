package io.latentwatch.cli.demo;

import io.latentwatch.cli.traffic.TrafficGenerator;
import io.latentwatch.monitor.detect.LatentDriftDetector;
import io.latentwatch.schema.Alert;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Each detector's precision and recall over requests, against the traffic generator's ground truth.
 * A request counts as flagged by a detector when at least one of its alerts names the request's id.
 * The target class depends on the detector: circuit detectors are scored against the planted-circuit
 * triggers of the task they watch (a signature of the IOI circuit should fire on IOI prompts, not on
 * induction or successor prompts; against every circuit trigger when no task is named), every other
 * detector against the injected anomalies (out-of-distribution inputs); the scores against "any
 * circuit trigger" and "any injected request" are given too. Window-level drift alerts (which carry the
 * id of the request that closed the window) and alerts that name no request sent by the generator
 * (version events) are counted, not scored.
 *
 * <p>False-alarm rates are per request: the share of the traffic's normal requests (not injected, never seen by the
 * trainer: held out) that at least one alert of the detector names, next to the target its thresholds were chosen for.
 * Anomalies and circuit triggers are counted apart for every detector: a circuit firing is not an out-of-distribution
 * input, and an OOD detector that flags circuit triggers is reported as such, not as a true positive.
 */
public final class DemoScore {
    private DemoScore() {}

    public static Map<String, Map<String, Object>> score(List<TrafficGenerator.RequestRecord> requests, List<Alert> alerts) {
        return score(requests, alerts, Set.of());
    }

    /** As {@link #score(List, List)}, with an entry for each of {@code expected} even when it flagged nothing (recall 0, precision null). */
    public static Map<String, Map<String, Object>> score(List<TrafficGenerator.RequestRecord> requests, List<Alert> alerts, Set<String> expected) {
        return score(requests, alerts, expected, null);
    }

    /**
     * As {@link #score(List, List, Set)}, circuit detectors scored against the triggers of {@code circuitTask}
     * (a task name of circuits.json: ioi, induction, succession, greater_than; null = every circuit trigger).
     */
    public static Map<String, Map<String, Object>> score(List<TrafficGenerator.RequestRecord> requests, List<Alert> alerts, Set<String> expected,
                                                         String circuitTask) {
        return score(requests, alerts, expected, circuitTask, Map.of());
    }

    /**
     * As {@link #score(List, List, Set, String)}, each detector's false-alarm rate set against {@code targets} (detector ->
     * target share of normal requests, as the thresholds in force were chosen for). The unit is the request: a normal
     * request of the traffic (not injected; the trainer never saw it) counts once when any alert of the detector names it.
     */
    public static Map<String, Map<String, Object>> score(List<TrafficGenerator.RequestRecord> requests, List<Alert> alerts, Set<String> expected,
                                                         String circuitTask, Map<String, Double> targets) {
        String trigger = circuitTask == null ? null : triggerOf(circuitTask);
        Set<String> sent = new HashSet<>(), anomalies = new HashSet<>(), allCircuits = new HashSet<>(), injected = new HashSet<>();
        Set<String> circuits = new HashSet<>();
        for (TrafficGenerator.RequestRecord r : requests) {
            if (r.status() != 200) continue;
            sent.add(r.requestId());
            if (r.injected()) injected.add(r.requestId());
            if ("anomaly".equals(r.kind())) anomalies.add(r.requestId());
            if ("circuit".equals(r.kind())) {
                allCircuits.add(r.requestId());
                if (trigger == null || trigger.equals(r.subtype())) circuits.add(r.requestId());
            }
        }
        Map<String, Set<String>> flagged = new TreeMap<>();
        Map<String, Long> unscored = new TreeMap<>();
        for (Alert a : alerts) {
            // A drift alert is about a window of activations; it carries the id of the request that closed the window.
            boolean window = LatentDriftDetector.NAME.equals(a.getDetector());
            if (!window && a.getRequestId() != null && sent.contains(a.getRequestId())) {
                flagged.computeIfAbsent(a.getDetector(), k -> new HashSet<>()).add(a.getRequestId());
                flagged.computeIfAbsent("any", k -> new HashSet<>()).add(a.getRequestId());
            } else {
                unscored.merge(a.getDetector(), 1L, Long::sum);
            }
        }
        for (String d : expected) flagged.computeIfAbsent(d, k -> new HashSet<>());
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (var e : flagged.entrySet()) {
            String d = e.getKey();
            Set<String> f = e.getValue();
            Set<String> target = d.contains("circuit") ? circuits : d.equals("any") ? injected : anomalies;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", d.contains("circuit") ? (trigger == null ? "circuit" : "circuit:" + trigger) : d.equals("any") ? "injected" : "anomaly");
            m.put("flagged_requests", f.size());
            long tp = f.stream().filter(target::contains).count();
            m.put("true_positives", tp);
            m.put("targets", target.size());
            m.put("precision", f.isEmpty() ? null : round(tp / (double) f.size()));
            m.put("recall", target.isEmpty() ? null : round(tp / (double) target.size()));
            if (d.contains("circuit")) {
                long tpCircuit = f.stream().filter(allCircuits::contains).count();
                m.put("precision_vs_any_circuit_trigger", f.isEmpty() ? null : round(tpCircuit / (double) f.size()));
                m.put("recall_vs_any_circuit_trigger", allCircuits.isEmpty() ? null : round(tpCircuit / (double) allCircuits.size()));
            }
            long tpAny = f.stream().filter(injected::contains).count();
            m.put("precision_vs_any_injected", f.isEmpty() ? null : round(tpAny / (double) f.size()));
            long normal = sent.size() - injected.size();
            long falseAlarms = f.stream().filter(x -> !injected.contains(x)).count();
            Double far = normal == 0 ? null : round(falseAlarms / (double) normal);
            m.put("false_alarm_rate", far);
            m.put("false_alarms", falseAlarms);
            m.put("normal_requests", normal);
            Double farTarget = d.equals("any") || targets.get(d) == null ? null : round(targets.get(d));
            m.put("false_alarm_target", farTarget);
            m.put("false_alarm_within_factor_2", farTarget == null || far == null ? null : far >= farTarget / 2 && far <= farTarget * 2);
            // Out-of-distribution inputs and circuit activity scored apart: what share of each the detector flags.
            m.put("anomalies_flagged", f.stream().filter(anomalies::contains).count());
            m.put("anomalies", anomalies.size());
            m.put("circuit_triggers_flagged", f.stream().filter(allCircuits::contains).count());
            m.put("circuit_triggers", allCircuits.size());
            m.put("unscored_alerts", unscored.getOrDefault(d, 0L));
            out.put(d, m);
        }
        // Alerts about no request of the traffic (window-level drift, SAE version events): counted, not scored.
        if (!unscored.isEmpty()) out.put("unscored", new LinkedHashMap<>(Map.of("alerts_by_detector", unscored)));
        return out;
    }

    /**
     * How much grouping saves on-call: incidents opened (by scope) against the requests of the traffic that
     * at least one per-request alert flagged. One incident per flagged request is the ideal; window-level
     * incidents (drift, operational events) come on top.
     */
    public static Map<String, Object> incidents(Map<String, Long> openedByScope, List<TrafficGenerator.RequestRecord> requests, List<Alert> alerts) {
        Set<String> sent = new HashSet<>();
        for (TrafficGenerator.RequestRecord r : requests) if (r.status() == 200) sent.add(r.requestId());
        Set<String> flagged = new HashSet<>();
        for (Alert a : alerts) {
            if (!LatentDriftDetector.NAME.equals(a.getDetector()) && a.getRequestId() != null && sent.contains(a.getRequestId())) {
                flagged.add(a.getRequestId());
            }
        }
        long opened = openedByScope.values().stream().mapToLong(Long::longValue).sum();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("incidents", opened);
        m.put("incidents_by_scope", new TreeMap<>(openedByScope));
        m.put("flagged_requests", flagged.size());
        m.put("incidents_per_flagged_request", flagged.isEmpty() ? null : round(opened / (double) flagged.size()));
        m.put("alerts_per_incident", opened == 0 ? null : round(alerts.size() / (double) opened));
        return m;
    }

    /** The traffic generator's subtype ({@code PromptMix.circuit()}) of a circuits.json task's triggers. */
    static String triggerOf(String task) {
        return switch (task) {
            case "succession" -> "successor";
            case "greater_than" -> "greater-than";
            default -> task;
        };
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
