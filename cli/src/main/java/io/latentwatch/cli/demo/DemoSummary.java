package io.latentwatch.cli.demo;

import io.latentwatch.cli.traffic.TrafficGenerator;
import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.calibrate.FalseAlarmCalibration;
import io.latentwatch.monitor.MetricsScrape;
import io.latentwatch.monitor.MonitorMetrics;
import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.detect.LensTrajectoryDetector;
import io.latentwatch.node.InferenceNode;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.TokenProbability;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The demo's summary: counts from the node, the monitor's /metrics and the console, each detector scored against the
 * injected ground truth ({@link DemoScore}), and whether the counts agree. Its JSON field names are a contract
 * (DemoCommandIT and the README read them).
 */
public final class DemoSummary {
    /** What the demo observed by the end. */
    public record Observed(TrafficGenerator.Report traffic, InferenceNode node, DemoConsole console, MonitorApp monitor,
                           MetricsScrape scrape, MalformedTraffic malformed, String refit, double seconds) {}

    private final DemoOptions o;
    private final PrintStream out;
    /** SaeVersions published before traffic (the residual SAE, and the circuit SAE when discovered): the rest are hot swaps. */
    private final int initialVersions;
    private final boolean circuitWatched;
    private final Map<String, Double> circuitMetrics;
    private final DemoLens.Setup lensSetup;

    /** @param circuitMetrics the published circuit refit's metrics ({@code CircuitRefit}: its held-out measurement), empty without one */
    public DemoSummary(DemoOptions o, PrintStream out, int initialVersions, boolean circuitWatched, Map<String, Double> circuitMetrics,
                       DemoLens.Setup lensSetup) {
        this.o = o;
        this.out = out;
        this.initialVersions = initialVersions;
        this.circuitWatched = circuitWatched;
        this.circuitMetrics = circuitMetrics;
        this.lensSetup = lensSetup;
    }

    /** Builds the summary of what the demo observed. */
    public Map<String, Object> build(Observed ob) {
        TrafficGenerator.Report traffic = ob.traffic();
        DemoConsole console = ob.console();
        MetricsScrape scrape = ob.scrape();
        MalformedTraffic malformed = ob.malformed();
        var m = ob.monitor().metrics();
        var st = ob.node().stats();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", traffic.modelId());
        s.put("traffic_s", o.duration().toMillis() / 1000.0);
        s.put("wall_s", Math.round(ob.seconds() * 10) / 10.0);
        s.put("requests", traffic.requests().size());
        s.put("requests_ok", traffic.requests().stream().filter(r -> r.status() == 200).count());
        s.put("requests_by_kind", traffic.summary().get("by_kind"));
        s.put("samples_sent", st.published());
        s.put("samples_dropped", st.dropped() + st.notEnqueued());
        s.put("samples_processed", m.processedTotal());
        s.put("activations_projected", m.projectedTotal());
        // Hooks the node samples only for the lens trajectory have no SAE by design: counted apart, so
        // samples_without_sae stays the "an SAE is missing" signal.
        Map<String, Double> noSaeByHook = scrape.sumBy("latentwatch_samples_without_sae_total", "hook");
        long lensOnlyNoSae = lensSetup == null ? 0 : lensSetup.hooksWithoutSae().stream().mapToLong(x -> noSaeByHook.getOrDefault(x, 0.0).longValue()).sum();
        s.put("samples_without_sae", m.withoutSaeTotal() - lensOnlyNoSae);
        s.put("malformed_sent", malformed.sent.get());
        s.put("malformed_sent_by_reason", new TreeMap<>(malformed.byReason));
        s.put("dlq", console.deadLetters.get());
        s.put("dlq_by_reason", new TreeMap<>(console.dlqByReason));
        s.put("alerts", console.alerts.get());
        s.put("alerts_by_detector", new TreeMap<>(console.alertsByDetector));
        s.put("explanations", console.explanations.get());
        s.put("explanations_with_decoded_text", console.explanationsWithText.get());
        s.put("explanations_with_logit_lens_tokens", console.explanationsWithLensTokens.get());
        s.put("explanations_by_patchscope_status", scrape.sumBy("latentwatch_explanations_total", "status"));
        Explanation ex = console.example.get();
        if (ex != null) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("detector", ex.getDetector());
            e.put("patchscope_text", ex.getPatchscopeText());
            e.put("logit_lens", ex.getLogitLensTokens().stream().map(TokenProbability::getToken).toList());
            s.put("explanation_example", e);
        }
        long swapped = (long) scrape.sum("latentwatch_sae_versions_swapped_total");
        s.put("sae_versions_applied", swapped);
        s.put("hot_swaps", Math.max(0, swapped - initialVersions));
        s.put("sae_versions_rejected", (long) scrape.sum("latentwatch_sae_versions_rejected_total"));
        s.put("refit", ob.refit());
        List<Alert> alerts;
        synchronized (console.received) {
            alerts = new ArrayList<>(console.received);
        }
        Set<String> expected = new TreeSet<>();
        if (circuitWatched) expected.add("circuit");
        if (lensSetup != null) expected.add(LensTrajectoryDetector.NAME);
        s.put("false_alarm_unit", "request: a normal (not injected) request of the traffic flagged by at least one alert of the "
                + "detector, over all normal requests; the trainer chose the thresholds on other, held-out reference requests");
        s.put("detectors", DemoScore.score(traffic.requests(), alerts, expected, circuitWatched ? o.circuitTask() : null, targets(m)));
        if (circuitWatched && circuitMetrics.containsKey("circuit_held_out_prompts")) s.put("circuit_false_alarms_held_out", circuitHeldOut());
        // Incidents: the alerts grouped per request / per window finding, as on-call would be paged.
        s.putAll(DemoScore.incidents(m.incidentsOpenedByScope(), traffic.requests(), alerts));
        if (lensSetup != null) {
            Map<String, Object> lt = lensSummary(traffic, alerts, lensOnlyNoSae);
            Explanation lx = console.lensExample.get();
            if (lx != null) lt.put("explanation_example", explanationExample(lx));
            s.put("lens_trajectory", lt);
        }
        Map<String, Object> metrics = new LinkedHashMap<>();
        for (String n : List.of("latentwatch_records_processed_total", "latentwatch_records_dead_lettered_total", "latentwatch_alerts_total",
                "latentwatch_activations_projected_total", "latentwatch_explanations_total")) {
            metrics.put(n, (long) scrape.sum(n));
        }
        double count = scrape.sum("latentwatch_end_to_end_latency_seconds_count");
        metrics.put("mean_end_to_end_latency_ms", count == 0 ? 0 : Math.round(1e6 * scrape.sum("latentwatch_end_to_end_latency_seconds_sum") / count) / 1000.0);
        s.put("metrics", metrics);
        s.put("consistent", m.processedTotal() == st.published() && console.deadLetters.get() == malformed.sent.get()
                && (long) scrape.sum("latentwatch_alerts_total") == console.alerts.get());
        return s;
    }

    /**
     * The false-alarm target of each detector: the rates the trainer chose the thresholds in force for (exported by the
     * monitor per SAE version), and for the lens trajectory, whose threshold the monitor learns from its warm-up, the
     * same default target (its per-sample rule is not calibrated per request: compare, do not trust).
     */
    private Map<String, Double> targets(MonitorMetrics m) {
        Map<String, Double> t = new TreeMap<>(m.falseAlarmTargetsByDetector());
        if (lensSetup != null) t.putIfAbsent(LensTrajectoryDetector.NAME, DetectorThresholds.DEFAULT_RATE);
        return t;
    }

    /**
     * The circuit detector's false-alarm rate on the trainer's held-out normal prompts (CircuitRefit: half of its baseline,
     * never fitted, calibrated or chosen on; several thousand, where the live traffic has a few hundred normal requests),
     * with a one-sided 95% upper bound, and what a threshold at the reference quantile of the target would have flagged
     * instead (why the circuit threshold sits above it: see CircuitScore).
     */
    private Map<String, Object> circuitHeldOut() {
        Map<String, Object> c = new LinkedHashMap<>();
        long n = Math.round(circuitMetrics.get("circuit_held_out_prompts"));
        long k = Math.round(circuitMetrics.getOrDefault("circuit_held_out_false_alarms", 0.0));
        double target = circuitMetrics.getOrDefault("circuit_false_alarm_target", DetectorThresholds.DEFAULT_RATE);
        double upper = FalseAlarmCalibration.upperBound95(k, n);
        c.put("false_alarm_target", target);
        c.put("normal_prompts", n);
        c.put("false_alarms", k);
        c.put("false_alarm_rate", n == 0 ? null : round4(k / (double) n));
        c.put("false_alarm_upper_95", round4(upper));
        c.put("false_alarm_within_factor_2", n == 0 ? null : k / (double) n >= target / 2 && k / (double) n <= 2 * target);
        c.put("false_alarm_at_most_target", upper <= target);
        c.put("reference_prompts", Math.round(circuitMetrics.getOrDefault("circuit_reference_prompts", 0.0)));
        c.put("score_threshold", round4(circuitMetrics.getOrDefault("circuit_score_threshold", Double.NaN)));
        c.put("reference_quantile_at_target", round4(circuitMetrics.getOrDefault("circuit_reference_quantile", Double.NaN)));
        c.put("positives_flagged_at_reference_quantile", round4(circuitMetrics.getOrDefault("circuit_positive_recall_at_reference_quantile", Double.NaN)));
        c.put("outliers_flagged_at_reference_quantile", round4(circuitMetrics.getOrDefault("circuit_outlier_rate_at_reference_quantile", Double.NaN)));
        c.put("outliers_flagged_at_threshold", round4(circuitMetrics.getOrDefault("circuit_outlier_rate", Double.NaN)));
        return c;
    }

    private static Double round4(double v) {
        return Double.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null;
    }

    /** The lens trajectory's set-up and how often it flagged each kind of request (scored in "detectors" like the others). */
    private Map<String, Object> lensSummary(TrafficGenerator.Report traffic, List<Alert> alerts, long withoutSae) {
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("early_hook", lensSetup.earlyHook());
        l.put("final_hook", lensSetup.finalHook());
        l.put("tuned_lens", lensSetup.source());
        l.put("warmup_requests", lensSetup.warmupRequests());
        l.put("warmup_pairs_target", lensSetup.warmupTarget());
        l.put("hooks_without_sae", lensSetup.hooksWithoutSae());
        l.put("samples_without_sae_lens_only", withoutSae);
        List<Alert> la = alerts.stream().filter(a -> LensTrajectoryDetector.NAME.equals(a.getDetector())).toList();
        l.put("alerts", la.size());
        l.put("threshold_nats", la.isEmpty() ? null : Math.round(la.get(0).getThreshold() * 1e4) / 1e4);
        Set<String> flagged = new HashSet<>();
        for (Alert a : la) if (a.getRequestId() != null) flagged.add(a.getRequestId());
        l.put("alerts_on_warmup_requests", la.stream().filter(a -> a.getRequestId() != null && a.getRequestId().startsWith("lens-warmup-")).count());
        // Share of requests of each kind flagged: out-of-distribution inputs should be flagged more than normal traffic.
        Map<String, long[]> byKind = new TreeMap<>();
        for (TrafficGenerator.RequestRecord r : traffic.requests()) {
            if (r.status() != 200) continue;
            for (String k : List.of(r.kind(), r.kind() + (r.subtype() == null ? "" : ":" + r.subtype()))) {
                long[] c = byKind.computeIfAbsent(k, x -> new long[2]);
                c[1]++;
                if (flagged.contains(r.requestId())) c[0]++;
            }
        }
        Map<String, Object> share = new LinkedHashMap<>();
        byKind.forEach((k, c) -> share.put(k, Map.of("flagged", c[0], "requests", c[1], "share", c[1] == 0 ? 0 : Math.round(1000.0 * c[0] / c[1]) / 1000.0)));
        l.put("flagged_by_kind", share);
        return l;
    }

    private static Map<String, Object> explanationExample(Explanation ex) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("text", ex.getText());
        e.put("logit_lens", ex.getLogitLensTokens().stream().map(TokenProbability::getToken).toList());
        e.put("tuned_lens", ex.getTunedLensTokens().stream().map(TokenProbability::getToken).toList());
        e.put("patchscope_text", ex.getPatchscopeText());
        return e;
    }

    /** Prints the summary for a person. */
    public void print(Map<String, Object> s) {
        out.println();
        out.println("latentwatch demo summary (" + s.get("model") + ")");
        out.printf("  requests (ok)                 %s (%s)  %s%n", s.get("requests"), s.get("requests_ok"), s.get("requests_by_kind"));
        out.printf("  samples sent / processed      %s / %s (activations projected %s, without SAE %s)%n", s.get("samples_sent"),
                s.get("samples_processed"), s.get("activations_projected"), s.get("samples_without_sae"));
        out.printf("  malformed sent / dead-lettered %s / %s  %s%n", s.get("malformed_sent"), s.get("dlq"), s.get("dlq_by_reason"));
        out.printf("  alerts                        %s  %s%n", s.get("alerts"), s.get("alerts_by_detector"));
        out.printf("  explanations (decoded text)   %s (%s; logit-lens tokens %s)  Patchscope %s%n", s.get("explanations"),
                s.get("explanations_with_decoded_text"), s.get("explanations_with_logit_lens_tokens"), s.get("explanations_by_patchscope_status"));
        out.printf("  SAE versions applied / swaps  %s / %s  (%s)%n", s.get("sae_versions_applied"), s.get("hot_swaps"), s.get("refit"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> det = (Map<String, Map<String, Object>>) s.get("detectors");
        det.forEach((d, v) -> { if (!d.equals("unscored")) out.printf("  %-28s precision %s recall %s (flagged %s, true %s); false alarms %s of %s normal requests = %s"
                + " (target %s); anomalies %s/%s, circuit triggers %s/%s%n", d, v.get("precision"), v.get("recall"),
                v.get("flagged_requests"), v.get("true_positives"), v.get("false_alarms"), v.get("normal_requests"), v.get("false_alarm_rate"),
                v.get("false_alarm_target"), v.get("anomalies_flagged"), v.get("anomalies"), v.get("circuit_triggers_flagged"), v.get("circuit_triggers")); });
        if (s.get("circuit_false_alarms_held_out") instanceof Map<?, ?> c) {
            out.printf("  circuit on held-out normal    %s false alarms of %s prompts = %s (95%% upper bound %s, target %s)%n", c.get("false_alarms"),
                    c.get("normal_prompts"), c.get("false_alarm_rate"), c.get("false_alarm_upper_95"), c.get("false_alarm_target"));
        }
        if (det.containsKey("unscored")) out.printf("  alerts about no request         %s%n", det.get("unscored").get("alerts_by_detector"));
        @SuppressWarnings("unchecked")
        Map<String, Object> lt = (Map<String, Object>) s.get("lens_trajectory");
        if (lt != null) {
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> fk = (Map<String, Map<String, Object>>) lt.get("flagged_by_kind");
            StringBuilder b = new StringBuilder();
            fk.forEach((k, v) -> { if (!k.contains(":") || k.startsWith("anomaly")) b.append(' ').append(k).append(' ').append(v.get("flagged")).append('/').append(v.get("requests")); });
            out.printf("  lens trajectory               %s vs %s, threshold %s nats; flagged by kind:%s%n", lt.get("early_hook"), lt.get("final_hook"),
                    lt.get("threshold_nats"), b);
        }
        out.printf("  /metrics                      %s%n", s.get("metrics"));
        out.printf("  counts consistent             %s%n", s.get("consistent"));
    }
}
