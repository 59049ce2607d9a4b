package io.latentwatch.cli.demo;

import io.latentwatch.cli.traffic.TrafficGenerator;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Severity;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DemoScoreTest {
    static TrafficGenerator.RequestRecord req(String id, String kind, String subtype) {
        return new TrafficGenerator.RequestRecord(id, kind, subtype, !kind.equals("normal"), 200, 1, 8, 0, "p");
    }

    static Alert alert(String detector, String requestId) {
        return Alert.newBuilder().setAlertId(detector + ":" + requestId).setModelId("m").setModelVersion("v").setHook("h")
                .setDetector(detector).setSeverity(Severity.WARNING).setScore(1).setThreshold(1).setRequestId(requestId)
                .setTimestampMs(Instant.EPOCH).setSampleTimestampMs(Instant.EPOCH).setSummary("s").setAttributes(Map.of()).build();
    }

    @Test
    void circuitDetectorIsScoredAgainstTheWatchedTasksTriggers() {
        List<TrafficGenerator.RequestRecord> reqs = new ArrayList<>();
        for (int i = 0; i < 4; i++) reqs.add(req("s" + i, "circuit", "successor"));
        for (int i = 0; i < 4; i++) reqs.add(req("i" + i, "circuit", "induction"));
        for (int i = 0; i < 8; i++) reqs.add(req("n" + i, "normal", "story"));
        reqs.add(req("a0", "anomaly", "code"));
        // The succession signature fired on two successor triggers and one induction trigger.
        List<Alert> alerts = List.of(alert("circuit", "s0"), alert("circuit", "s1"), alert("circuit", "i0"), alert("recon-error", "a0"),
                alert("recon-error", "n0"), alert("latent-drift", "n1"));
        Map<String, Object> c = DemoScore.score(reqs, alerts, Set.of("circuit"), "succession").get("circuit");
        assertEquals("circuit:successor", c.get("target"));
        assertEquals(4, c.get("targets"));
        assertEquals(0.5, c.get("recall"));
        assertEquals(0.667, c.get("precision"));
        assertEquals(1.0, c.get("precision_vs_any_circuit_trigger"));
        assertEquals(0.375, c.get("recall_vs_any_circuit_trigger"));
        // No task named: every circuit trigger is a target, as before.
        Map<String, Object> any = DemoScore.score(reqs, alerts, Set.of("circuit")).get("circuit");
        assertEquals(8, any.get("targets"));
        assertEquals(1.0, any.get("precision"));
        Map<String, Object> r = DemoScore.score(reqs, alerts, Set.of(), "succession").get("recon-error");
        assertEquals(0.5, r.get("precision"));
        assertEquals(0.125, r.get("false_alarm_rate"));
        // The drift alert is about its window, not about the request that closed it.
        Map<String, Map<String, Object>> all = DemoScore.score(reqs, alerts, Set.of());
        assertEquals(null, all.get("latent-drift"));
        assertEquals(Map.of("alerts_by_detector", Map.of("latent-drift", 1L)), all.get("unscored"));
        assertEquals(List.of("ioi", "induction", "successor", "greater-than"),
                List.of("ioi", "induction", "succession", "greater_than").stream().map(DemoScore::triggerOf).toList());
    }

    @Test
    void incidentsAreCountedPerFlaggedRequest() {
        List<TrafficGenerator.RequestRecord> reqs = List.of(req("a0", "anomaly", "code"), req("a1", "anomaly", "code"), req("n0", "normal", "story"));
        // Six alerts on two requests (and a drift alert closing on a third): two request incidents and one window incident.
        List<Alert> alerts = List.of(alert("recon-error", "a0"), alert("activation-norm", "a0"), alert("rare-latent", "a0"),
                alert("recon-error", "a1"), alert("activation-norm", "a1"), alert("latent-drift", "n0"));
        Map<String, Object> m = DemoScore.incidents(Map.of("request", 2L, "window", 1L), reqs, alerts);
        assertEquals(3L, m.get("incidents"));
        assertEquals(2, m.get("flagged_requests"), "the drift alert does not flag the request that closed its window");
        assertEquals(1.5, m.get("incidents_per_flagged_request"));
        assertEquals(2.0, m.get("alerts_per_incident"));
        assertEquals(null, DemoScore.incidents(Map.of(), reqs, List.of()).get("incidents_per_flagged_request"));
    }
}
