package io.latentwatch.monitor.incident;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Incident;
import io.latentwatch.schema.IncidentScope;
import io.latentwatch.schema.IncidentStatus;
import io.latentwatch.schema.Severity;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IncidentGrouperTest {
    private final IncidentGrouper grouper = new IncidentGrouper(new IncidentGrouper.Config(Duration.ofSeconds(10), Duration.ofSeconds(60), 3));

    static Alert alert(String id, String detector, String hook, String requestId, Severity severity) {
        return Alert.newBuilder().setAlertId(id).setModelId("m").setModelVersion("v1").setHook(hook).setDetector(detector)
                .setSeverity(severity).setScore(5).setThreshold(4).setRequestId(requestId).setNodeId("n").setPosition(3)
                .setSaeVersion("sae-1").setTimestampMs(Instant.ofEpochMilli(1)).setSampleTimestampMs(Instant.ofEpochMilli(1))
                .setSummary(detector + " fired on " + hook).setAttributes(Map.of("top_latents", "7:1.5,3:0.5")).build();
    }

    @Test
    void alertsOfOneRequestFormOneIncidentNamedAfterItsWorstAlert() {
        IncidentGrouper.Step s1 = grouper.onAlert(null, alert("a1", "activation-norm", "blocks.0.hook_resid_post", "r1", Severity.WARNING), 1000);
        Incident opened = s1.emit();
        assertEquals(IncidentStatus.OPEN, opened.getStatus());
        assertEquals(IncidentScope.REQUEST, opened.getScope());
        assertEquals("request|m|r1", opened.getGroupKey());
        assertEquals("r1", opened.getRequestId());
        assertTrue(opened.getIncidentId().startsWith("inc-"), opened.getIncidentId());

        IncidentGrouper.Step s2 = grouper.onAlert(s1.state(), alert("a2", "recon-error", "blocks.1.attn.hook_z", "r1", Severity.CRITICAL), 2000);
        IncidentGrouper.Step s3 = grouper.onAlert(s2.state(), alert("a3", "recon-error", "blocks.1.attn.hook_z", "r1", Severity.WARNING), 3000);
        Incident i = s3.emit();
        assertEquals(IncidentStatus.UPDATED, i.getStatus());
        assertEquals(opened.getIncidentId(), i.getIncidentId(), "one id for the incident's life");
        assertEquals(3, i.getAlertCount());
        assertEquals(2, i.getRevision());
        assertEquals(Severity.CRITICAL, i.getSeverity());
        assertEquals("recon-error", i.getDetector(), "named after the most severe alert");
        assertEquals(List.of("activation-norm", "recon-error"), i.getDetectors());
        assertEquals(List.of("blocks.0.hook_resid_post", "blocks.1.attn.hook_z"), i.getHooks());
        assertEquals(List.of("a1", "a2", "a3"), i.getAlerts().stream().map(a -> a.getAlertId()).toList());
        assertEquals("a2", i.getAlerts().get(1).getExplanationRef());
        assertEquals("7:1.5,3:0.5", i.getAlerts().get(1).getTopLatents());
        assertEquals(1000, i.getOpenedMs().toEpochMilli());
        assertEquals(3000, i.getLastAlertMs().toEpochMilli());
        assertEquals("[CRITICAL] m request r1: 3 alerts (activation-norm, recon-error x2) on 2 hooks — first: activation-norm fired on "
                + "blocks.0.hook_resid_post", i.getSummary());
    }

    @Test
    void aRedeliveredAlertChangesNothing() {
        Alert a = alert("a1", "activation-norm", "h", "r1", Severity.WARNING);
        IncidentGrouper.Step s1 = grouper.onAlert(null, a, 1000);
        IncidentGrouper.Step again = grouper.onAlert(s1.state(), a, 1500);
        assertNull(again.emit());
        assertSame(s1.state(), again.state());
    }

    @Test
    void windowFindingsAndAlertsWithoutARequestGroupPerModelHookAndDetector() {
        Alert drift = alert("d1", "latent-drift", "h", "r9", Severity.WARNING);
        assertEquals(IncidentScope.WINDOW, IncidentGrouper.scope(drift), "drift is about a window, not the request that closed it");
        assertEquals("window|m|h|latent-drift", IncidentGrouper.groupKey(drift));
        Incident i = grouper.onAlert(null, drift, 0).emit();
        assertNull(i.getRequestId());
        assertEquals("[WARNING] m latent-drift on h: 1 alert (latent-drift) — first: latent-drift fired on h", i.getSummary());
        assertEquals("window|m|h2|no-sae", IncidentGrouper.groupKey(alert("o1", "no-sae", "h2", null, Severity.INFO)));
    }

    @Test
    void quietIncidentsResolveReopenInsideTheCooldownAndAreForgottenAfterIt() {
        Incident open = grouper.onAlert(null, alert("a1", "rare-latent", "h", "r1", Severity.WARNING), 1000).state();
        assertNull(grouper.onTick(open, 10_999).emit(), "still inside the quiet period");
        Incident resolved = grouper.onTick(open, 11_000).emit();
        assertEquals(IncidentStatus.RESOLVED, resolved.getStatus());
        assertEquals(11_000, resolved.getResolvedMs().toEpochMilli());
        assertTrue(resolved.getSummary().startsWith("[WARNING] RESOLVED m request r1"), resolved.getSummary());

        Incident reopened = grouper.onAlert(resolved, alert("a2", "rare-latent", "h", "r1", Severity.WARNING), 20_000).emit();
        assertEquals(IncidentStatus.OPEN, reopened.getStatus());
        assertEquals(resolved.getIncidentId(), reopened.getIncidentId(), "re-opened, not paged anew");
        assertEquals(1, reopened.getReopenCount());
        assertNull(reopened.getResolvedMs());

        Incident resolvedAgain = grouper.onTick(reopened, 30_000).emit();
        assertSame(resolvedAgain, grouper.onTick(resolvedAgain, 89_999).state(), "kept during the cooldown");
        IncidentGrouper.Step forgotten = grouper.onTick(resolvedAgain, 90_000);
        assertNull(forgotten.state());
        assertNull(forgotten.emit());
        Incident fresh = grouper.onAlert(resolvedAgain, alert("a3", "rare-latent", "h", "r1", Severity.WARNING), 90_000).emit();
        assertNotEquals(resolved.getIncidentId(), fresh.getIncidentId(), "after the cooldown a new incident opens");
        assertEquals(0, fresh.getReopenCount());
    }

    @Test
    void alertsBeyondTheCapAreCountedNotKept() {
        IncidentGrouper.Step s = grouper.onAlert(null, alert("a0", "recon-error", "h", "r1", Severity.WARNING), 0);
        for (int k = 1; k < 5; k++) s = grouper.onAlert(s.state(), alert("a" + k, "recon-error", "h", "r1", Severity.WARNING), k);
        assertEquals(5, s.state().getAlertCount());
        assertEquals(3, s.state().getAlerts().size());
    }

    @Test
    void theSameGroupAndFirstAlertAlwaysGiveTheSameId() {
        assertEquals(IncidentGrouper.incidentId("request|m|r1", "a1"), IncidentGrouper.incidentId("request|m|r1", "a1"));
        assertNotEquals(IncidentGrouper.incidentId("request|m|r1", "a1"), IncidentGrouper.incidentId("request|m|r2", "a1"));
        assertThrows(IllegalArgumentException.class, () -> new IncidentGrouper.Config(Duration.ZERO, Duration.ZERO, 1));
    }
}
