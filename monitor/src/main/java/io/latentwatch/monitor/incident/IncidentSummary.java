package io.latentwatch.monitor.incident;

import io.latentwatch.schema.Incident;
import io.latentwatch.schema.IncidentAlert;
import io.latentwatch.schema.IncidentScope;
import io.latentwatch.schema.IncidentStatus;

import java.util.Map;
import java.util.TreeMap;

/**
 * The one line an on-call engineer reads first, e.g.
 * {@code [CRITICAL] stories260K request r-17: 6 alerts (activation-norm, recon-error x4, rare-latent) on 3 hooks
 * — first: stories260K blocks.1.hook_resid_post: activation norm ...}.
 */
public final class IncidentSummary {
    /** Longest excerpt of the first alert's own summary quoted in the line. */
    static final int QUOTE = 160;

    private IncidentSummary() {}

    public static String line(Incident i) {
        StringBuilder sb = new StringBuilder();
        sb.append('[').append(i.getSeverity()).append(']');
        if (i.getStatus() == IncidentStatus.RESOLVED) sb.append(" RESOLVED");
        sb.append(' ').append(i.getModelId()).append(' ');
        if (i.getScope() == IncidentScope.REQUEST) sb.append("request ").append(i.getRequestId());
        else sb.append(i.getDetector()).append(" on ").append(i.getHook());
        sb.append(": ").append(i.getAlertCount()).append(i.getAlertCount() == 1 ? " alert" : " alerts");
        Map<String, Integer> perDetector = new TreeMap<>();
        for (IncidentAlert a : i.getAlerts()) perDetector.merge(a.getDetector(), 1, Integer::sum);
        StringBuilder det = new StringBuilder();
        perDetector.forEach((d, n) -> det.append(det.length() == 0 ? "" : ", ").append(d).append(n > 1 ? " x" + n : ""));
        sb.append(" (").append(det).append(')');
        if (i.getHooks().size() > 1) sb.append(" on ").append(i.getHooks().size()).append(" hooks");
        else if (i.getScope() == IncidentScope.REQUEST) sb.append(" on ").append(i.getHook());
        if (i.getReopenCount() > 0) sb.append(", re-opened ").append(i.getReopenCount()).append('x');
        if (!i.getAlerts().isEmpty()) {
            String first = i.getAlerts().get(0).getSummary();
            sb.append(" — first: ").append(first.length() <= QUOTE ? first : first.substring(0, QUOTE - 1) + "…");
        }
        return sb.toString();
    }
}
