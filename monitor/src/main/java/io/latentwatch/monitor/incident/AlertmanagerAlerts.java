package io.latentwatch.monitor.incident;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.schema.Incident;
import io.latentwatch.schema.IncidentStatus;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An incident as an alert of Alertmanager's API v2 ({@code POST /api/v2/alerts}, a JSON array of
 * {@code {labels, annotations, startsAt, endsAt, generatorURL}}). Alertmanager identifies an alert by
 * its label set, so the labels hold what routes it (model, hook, detector, severity, scope) and the
 * incident id; the annotations hold what a human reads (summary, explanation link).
 *
 * <p>A firing alert gets {@code endsAt = now + expiry} (Prometheus does the same with 4x its resend
 * interval): while the router runs it re-sends open incidents well before that, and if it stops the
 * alerts expire instead of firing forever. A resolved incident gets {@code endsAt = resolvedMs}.
 */
public final class AlertmanagerAlerts {
    public static final String ALERT_NAME = "LatentwatchIncident";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String pageBaseUrl;
    private final Duration expiry;

    /**
     * @param pageBaseUrl where the monitor's incident page answers (e.g. {@code http://monitor:8089}); links
     *                    in the annotations point to {@code <base>/incidents/<id>}
     * @param expiry      how long a firing alert stays firing without being re-sent
     */
    public AlertmanagerAlerts(String pageBaseUrl, Duration expiry) {
        this.pageBaseUrl = pageBaseUrl.endsWith("/") ? pageBaseUrl.substring(0, pageBaseUrl.length() - 1) : pageBaseUrl;
        this.expiry = expiry;
    }

    /** The label set: Alertmanager's identity of the alert. */
    public static Map<String, String> labels(Incident i) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("alertname", ALERT_NAME);
        l.put("incident", i.getIncidentId());
        l.put("model", i.getModelId());
        l.put("hook", i.getHook());
        l.put("detector", i.getDetector());
        l.put("severity", i.getSeverity().name().toLowerCase(Locale.ROOT));
        l.put("scope", i.getScope().name().toLowerCase(Locale.ROOT));
        return l;
    }

    public String pageUrl(Incident i) {
        return pageBaseUrl + "/incidents/" + i.getIncidentId();
    }

    /** The incident as one API v2 alert at time {@code nowMs}. */
    public ObjectNode alert(Incident i, long nowMs) {
        return alert(labels(i), i, nowMs, i.getStatus() == IncidentStatus.RESOLVED ? i.getResolvedMs().toEpochMilli() : nowMs + expiry.toMillis());
    }

    /** An alert under an earlier label set of {@code i} (its worst alert changed), ended at {@code nowMs}. */
    public ObjectNode ended(Map<String, String> oldLabels, Incident i, long nowMs) {
        return alert(oldLabels, i, nowMs, nowMs);
    }

    private ObjectNode alert(Map<String, String> labels, Incident i, long nowMs, long endsMs) {
        ObjectNode a = JSON.createObjectNode();
        ObjectNode l = a.putObject("labels");
        labels.forEach(l::put);
        ObjectNode ann = a.putObject("annotations");
        ann.put("summary", i.getSummary());
        ann.put("explanation", pageUrl(i));
        ann.put("alerts", Integer.toString(i.getAlertCount()));
        if (i.getSaeVersion() != null) ann.put("sae_version", i.getSaeVersion());
        if (i.getRequestId() != null) ann.put("request_id", i.getRequestId());
        a.put("startsAt", Instant.ofEpochMilli(i.getOpenedMs().toEpochMilli()).toString());
        a.put("endsAt", Instant.ofEpochMilli(Math.max(endsMs, i.getOpenedMs().toEpochMilli())).toString());
        a.put("generatorURL", pageUrl(i));
        return a;
    }

    public static ArrayNode array() {
        return JSON.createArrayNode();
    }
}
