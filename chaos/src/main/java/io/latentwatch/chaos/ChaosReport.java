package io.latentwatch.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One scenario's figures: samples (captured, accepted, dropped and counted, published, processed) of both runs, alerts
 * and explanations against the reference per detector, recovery time, the node's request p99 during the fault and over
 * the reference run, {@code audit verify}, and the decode of every topic after broker and registry faults.
 */
public record ChaosReport(Scenario scenario, ChaosRunner.Options options, RunOutcome reference, RunOutcome fault, Comparison alerts,
                          Comparison explanations, boolean auditOk, String auditOutput, List<TopicRecords.Decoded> decoded) {

    /**
     * Passed: no missing, extra or duplicated per-sample alert or explanation (missing ones allowed only as many as the
     * node dropped and counted), audit verify passed, every record decodes, and the trainer fault left a verifiable
     * artifact in force.
     */
    public boolean passed() {
        boolean cleanAlerts = alerts.perSampleClean() && explanations.perSampleClean();
        long missing = missingPerSample(alerts);
        boolean lossCounted = fault.dropped() > 0 && missing <= fault.dropped() && extraOrDuplicated(alerts) == 0
                && extraOrDuplicated(explanations) == 0;
        boolean artifact = !Boolean.FALSE.equals(fault.faultFacts().get("artifact_in_force_verifies"));
        return (cleanAlerts || lossCounted) && auditOk && decoded.stream().allMatch(d -> d.undecodable() == 0) && artifact
                && fault.recoveryMs() >= 0;
    }

    public double faultP99Ms() {
        long end = fault.recoveryMs() > 0 ? fault.faultStartMs() + fault.recoveryMs() : fault.faultEndMs();
        return fault.truth().p99Ms(fault.faultStartMs(), Math.max(end, fault.faultEndMs()));
    }

    public double referenceP99Ms() { return reference.truth().p99Ms(Long.MIN_VALUE, Long.MAX_VALUE); }

    public ObjectNode toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode o = m.createObjectNode();
        o.put("scenario", scenario.wire());
        o.put("passed", passed());
        o.put("requests", reference.truth().requests().size());
        o.put("seed", options.seed());
        o.set("reference", samples(m, reference));
        o.set("fault", samples(m, fault));
        o.put("fault_duration_s", round((fault.faultEndMs() - fault.faultStartMs()) / 1e3));
        o.put("recovery_s", fault.recoveryMs() < 0 ? -1 : round(fault.recoveryMs() / 1e3));
        o.put("node_p99_ms_during_fault", round(faultP99Ms()));
        o.put("node_p99_ms_reference", round(referenceP99Ms()));
        o.put("requests_answered_fault_run", fault.truth().answered());
        o.set("alerts", comparison(m, alerts));
        o.set("explanations", comparison(m, explanations));
        o.put("explanations_with_logit_lens", fault.explanations().stream().filter(TopicRecords.Item::logitLens).count());
        o.put("explanations_with_patchscope", fault.explanations().stream().filter(TopicRecords.Item::patchscope).count());
        o.put("audit_verify", auditOk ? "passed" : "FAILED: " + auditOutput);
        var d = o.putArray("decoded");
        decoded.forEach(x -> d.add(x.toString()));
        o.set("fault_facts", m.valueToTree(fault.faultFacts()));
        return o;
    }

    /** A few lines for people. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s: %s%n", scenario.wire(), passed() ? "PASSED" : "FAILED"));
        sb.append(String.format(Locale.ROOT, "  samples (reference / fault run): captured %d / %d, accepted %d / %d, dropped and counted %d / %d, "
                + "processed %d / %d%n", reference.sampled(), fault.sampled(), reference.accepted(), fault.accepted(), reference.dropped(),
                fault.dropped(), reference.processed(), fault.processed()));
        sb.append(String.format(Locale.ROOT, "  fault %.1f s, processing again on every partition %.1f s after the fault; node p99 %.0f ms "
                + "during the fault (%.0f ms over the reference run); %d of %d requests answered%n",
                (fault.faultEndMs() - fault.faultStartMs()) / 1e3, fault.recoveryMs() / 1e3, faultP99Ms(), referenceP99Ms(),
                fault.truth().answered(), fault.truth().requests().size()));
        line(sb, "alerts", alerts);
        line(sb, "explanations", explanations);
        sb.append("  audit verify: ").append(auditOk ? "passed" : "FAILED (" + auditOutput + ")").append('\n');
        decoded.forEach(x -> sb.append("  ").append(x).append('\n'));
        if (!fault.faultFacts().isEmpty()) sb.append("  ").append(fault.faultFacts()).append('\n');
        return sb.toString();
    }

    private static void line(StringBuilder sb, String what, Comparison c) {
        sb.append("  ").append(what).append(" vs reference:");
        for (Map.Entry<String, Comparison.Counts> e : c.byDetector().entrySet()) {
            Comparison.Counts n = e.getValue();
            sb.append(String.format(Locale.ROOT, " %s%s %d/%d (missing %d, extra %d, duplicated %d);", e.getKey(),
                    Comparison.PER_SAMPLE.contains(e.getKey()) ? "" : "*", n.fault(), n.reference(), n.missing(), n.extra(), n.duplicated()));
        }
        sb.append('\n');
    }

    private static long missingPerSample(Comparison c) {
        return c.byDetector().entrySet().stream().filter(e -> Comparison.PER_SAMPLE.contains(e.getKey())).mapToLong(e -> e.getValue().missing()).sum();
    }

    private static long extraOrDuplicated(Comparison c) {
        return c.byDetector().entrySet().stream().filter(e -> Comparison.PER_SAMPLE.contains(e.getKey()))
                .mapToLong(e -> e.getValue().extra() + e.getValue().duplicated()).sum();
    }

    private static ObjectNode samples(ObjectMapper m, RunOutcome r) {
        ObjectNode s = m.createObjectNode();
        s.put("samples_captured", r.sampled());
        s.put("samples_accepted", r.accepted());
        s.put("samples_dropped_counted", r.dropped());
        s.put("samples_published", r.published());
        s.put("samples_processed", r.processed());
        s.put("alerts", r.alerts().size());
        s.put("explanations", r.explanations().size());
        return s;
    }

    private static ObjectNode comparison(ObjectMapper m, Comparison c) {
        ObjectNode o = m.createObjectNode();
        c.byDetector().forEach((d, n) -> o.set(d, m.valueToTree(n)));
        return o;
    }

    private static double round(double x) { return Double.isNaN(x) ? -1 : Math.round(x * 10) / 10.0; }
}
