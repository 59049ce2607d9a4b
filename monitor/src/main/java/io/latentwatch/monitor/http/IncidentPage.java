package io.latentwatch.monitor.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.latentwatch.monitor.TopLatents;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.Incident;
import io.latentwatch.schema.IncidentAlert;
import io.latentwatch.schema.IncidentStatus;
import io.latentwatch.schema.LatentContribution;
import io.latentwatch.schema.TokenProbability;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The live incident page, server-rendered HTML (no scripts; it refreshes itself every 10 s):
 *
 * <ul>
 *   <li>{@code GET /incidents} — open incidents first (most severe, then newest), then those resolved
 *       within their cooldown; each with its summary line, SAE version and alerts;</li>
 *   <li>{@code GET /incidents/<id>} — one incident, with each alert's explanation: top latents with their
 *       labels, the logit-lens tokens, the decoded Patchscope text, and a link to the audit record;</li>
 *   <li>{@code GET /explanations/<alertId>} — the audit record: the hash-chained explanation as JSON.</li>
 * </ul>
 */
public final class IncidentPage {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STYLE = """
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
            h1{font-size:1.4em;margin:0 0 .3em} h2{font-size:1.1em;margin:.2em 0}
            .inc{background:#fff;border:1px solid #ddd;border-left:6px solid #999;border-radius:4px;padding:.7em 1em;margin:.8em 0}
            .CRITICAL{border-left-color:#c62828} .WARNING{border-left-color:#ef8f00} .INFO{border-left-color:#1565c0}
            .RESOLVED{opacity:.65} .badge{display:inline-block;padding:0 .45em;border-radius:3px;color:#fff;font-size:.8em;margin-right:.4em}
            .b-CRITICAL{background:#c62828} .b-WARNING{background:#ef8f00} .b-INFO{background:#1565c0} .b-st{background:#555}
            .meta{color:#666;font-size:.9em} table{border-collapse:collapse;width:100%;margin-top:.5em}
            td,th{border-bottom:1px solid #eee;padding:.25em .4em;text-align:left;vertical-align:top;font-size:.9em}
            code{background:#f1f1f1;padding:0 .2em} .expl{background:#f7f9fc;padding:.4em .6em;margin:.3em 0;border-radius:3px}
            """;

    private final IncidentSource source;

    public IncidentPage(IncidentSource source) {
        this.source = source;
    }

    /** Serves the page, incident details and audit records on {@code server}. */
    public void register(HttpServer server) {
        server.createContext("/incidents", this::incidents);
        server.createContext("/explanations/", this::explanation);
    }

    private void incidents(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        try {
            if (path.equals("/incidents") || path.equals("/incidents/")) {
                send(ex, 200, "text/html; charset=utf-8", list(source.incidents()));
                return;
            }
            String id = URLDecoder.decode(path.substring("/incidents/".length()), StandardCharsets.UTF_8);
            Optional<Incident> i = source.incidents().stream().filter(x -> x.getIncidentId().equals(id)).findFirst();
            if (i.isEmpty()) {
                send(ex, 404, "text/html; charset=utf-8", page("Incident not found", "<p>No incident <code>" + esc(id)
                        + "</code> is kept by the monitor (resolved incidents are kept for their cooldown; the incidents topic keeps all). "
                        + "<a href=\"/incidents\">All incidents</a></p>"));
                return;
            }
            send(ex, 200, "text/html; charset=utf-8", detail(i.get()));
        } catch (Exception e) {
            send(ex, 503, "text/html; charset=utf-8", page("Incidents unavailable",
                    "<p>" + esc(e.getClass().getSimpleName() + ": " + e.getMessage()) + " (the monitor may be rebalancing; retry shortly)</p>"));
        }
    }

    private void explanation(HttpExchange ex) throws IOException {
        String id = URLDecoder.decode(ex.getRequestURI().getPath().substring("/explanations/".length()), StandardCharsets.UTF_8);
        try {
            Optional<Explanation> e = source.explanation(id);
            if (e.isEmpty()) {
                send(ex, 404, "application/json", JSON.createObjectNode().put("error", "no explanation indexed for alert " + id
                        + " (not written yet, or older than monitor.incident.explanation.retention.ms: read the explanations topic)").toString());
                return;
            }
            send(ex, 200, "application/json", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(e.get().toString())));
        } catch (Exception e) {
            ObjectNode o = JSON.createObjectNode().put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
            send(ex, 503, "application/json", o.toString());
        }
    }

    /** Open first (most severe, newest), then resolved (newest). */
    static List<Incident> ordered(List<Incident> incidents) {
        return incidents.stream().sorted(Comparator
                .comparing((Incident i) -> i.getStatus() == IncidentStatus.RESOLVED)
                .thenComparing(i -> -i.getSeverity().ordinal())
                .thenComparing(i -> -i.getUpdatedMs().toEpochMilli())).toList();
    }

    String list(List<Incident> incidents) throws Exception {
        long open = incidents.stream().filter(i -> i.getStatus() != IncidentStatus.RESOLVED).count();
        StringBuilder b = new StringBuilder();
        b.append("<p class=\"meta\">").append(open).append(" open, ").append(incidents.size() - open)
                .append(" resolved within their cooldown · as of ").append(Instant.now()).append("</p>");
        if (incidents.isEmpty()) b.append("<p>No incidents. The monitor groups alerts into incidents as they come.</p>");
        for (Incident i : ordered(incidents)) {
            card(b, i, false);
        }
        return page("latentwatch incidents", b.toString());
    }

    String detail(Incident i) throws Exception {
        StringBuilder b = new StringBuilder("<p><a href=\"/incidents\">&larr; all incidents</a></p>");
        card(b, i, true);
        return page("Incident " + i.getIncidentId(), b.toString());
    }

    private void card(StringBuilder b, Incident i, boolean explain) throws Exception {
        b.append("<div class=\"inc ").append(i.getSeverity()).append(' ').append(i.getStatus()).append("\" id=\"").append(esc(i.getIncidentId())).append("\">");
        b.append("<h2><span class=\"badge b-").append(i.getSeverity()).append("\">").append(i.getSeverity()).append("</span>")
                .append("<span class=\"badge b-st\">").append(i.getStatus()).append("</span>")
                .append("<a href=\"/incidents/").append(url(i.getIncidentId())).append("\">").append(esc(i.getSummary())).append("</a></h2>");
        b.append("<div class=\"meta\">incident <code>").append(esc(i.getIncidentId())).append("</code> · ")
                .append(i.getScope().name().toLowerCase(Locale.ROOT)).append(" · model <code>").append(esc(i.getModelId()))
                .append("</code> ").append(esc(i.getModelVersion()))
                .append(" · SAE version <code>").append(esc(i.getSaeVersion() == null ? "none" : i.getSaeVersion())).append("</code>")
                .append(i.getRequestId() == null ? "" : " · request <code>" + esc(i.getRequestId()) + "</code>")
                .append(" · opened ").append(i.getOpenedMs()).append(" · last alert ").append(i.getLastAlertMs())
                .append(i.getResolvedMs() == null ? "" : " · resolved " + i.getResolvedMs())
                .append(" · ").append(i.getAlertCount()).append(" alert(s)")
                .append(i.getAlertCount() > i.getAlerts().size() ? " (" + i.getAlerts().size() + " kept)" : "").append("</div>");
        b.append("<table><tr><th>detector</th><th>hook</th><th>severity</th><th>score / threshold</th><th>pos</th><th>alert</th></tr>");
        for (IncidentAlert a : i.getAlerts()) {
            b.append("<tr><td>").append(esc(a.getDetector())).append("</td><td><code>").append(esc(a.getHook())).append("</code></td><td>")
                    .append(a.getSeverity()).append("</td><td>").append(fmt(a.getScore())).append(" / ").append(fmt(a.getThreshold()))
                    .append("</td><td>").append(a.getPosition() == null ? "" : a.getPosition()).append("</td><td>").append(esc(a.getSummary()));
            if (explain) explanation(b, i, a);
            b.append("</td></tr>");
        }
        b.append("</table></div>");
    }

    private void explanation(StringBuilder b, Incident i, IncidentAlert a) throws Exception {
        Optional<Explanation> e = source.explanation(a.getExplanationRef());
        b.append("<div class=\"expl\">");
        if (e.isPresent()) {
            Explanation x = e.get();
            if (!x.getTopLatents().isEmpty()) {
                b.append("<div><b>top latents</b> ");
                for (LatentContribution l : x.getTopLatents().subList(0, Math.min(8, x.getTopLatents().size()))) {
                    String label = l.getLabel() != null ? l.getLabel() : source.latentLabel(i.getModelId(), a.getHook(), x.getSaeVersion(), l.getLatent());
                    b.append("<code>#").append(l.getLatent()).append("</code> ").append(fmt(l.getActivation()))
                            .append(label == null ? "" : " <i>" + esc(label) + "</i>").append("; ");
                }
                b.append("</div>");
            }
            if (!x.getLogitLensTokens().isEmpty()) {
                b.append("<div><b>logit lens</b> ");
                for (TokenProbability t : x.getLogitLensTokens().subList(0, Math.min(5, x.getLogitLensTokens().size()))) {
                    b.append("<code>").append(esc(t.getToken())).append("</code> ").append(fmt(t.getProbability())).append("; ");
                }
                b.append("</div>");
            }
            b.append("<div><b>Patchscope</b> (").append(esc(x.getPatchscopeStatus())).append(") ")
                    .append(x.getPatchscopeText() == null ? "<i>no text</i>" : "<code>" + esc(x.getPatchscopeText()) + "</code>").append("</div>");
            b.append("<div class=\"meta\">audit record: <a href=\"/explanations/").append(url(a.getExplanationRef())).append("\">")
                    .append(esc(a.getExplanationRef())).append("</a>, chain sequence ").append(x.getSequence())
                    .append(", hash <code>").append(esc(x.getHash() == null ? "-" : x.getHash().substring(0, Math.min(16, x.getHash().length()))))
                    .append("</code></div>");
        } else {
            TopLatents top = topLatents(a.getTopLatents());
            if (!top.isEmpty()) {
                b.append("<div><b>top latents</b> ");
                for (TopLatents.Entry l : top.entries()) {
                    String label = source.latentLabel(i.getModelId(), a.getHook(), i.getSaeVersion(), l.latent());
                    b.append("<code>#").append(l.latent()).append("</code> ").append(esc(String.format(Locale.ROOT, "%.4g", l.activation())))
                            .append(label == null ? "" : " <i>" + esc(label) + "</i>").append("; ");
                }
                b.append("</div>");
            }
            b.append("<div class=\"meta\">explanation not indexed yet (pending, or past its retention): audit record key <code>")
                    .append(esc(a.getExplanationRef())).append("</code> on the explanations topic</div>");
        }
        b.append("</div>");
    }

    private static String page(String title, String body) {
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\">"
                + "<title>" + esc(title) + "</title><style>" + STYLE + "</style></head><body><h1>" + esc(title) + "</h1>" + body + "</body></html>";
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String url(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.4g", d);
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) { out.write(bytes); }
    }

    /** The incident's copy of an alert's top latents; none when it is not in the wire form (never fails the page). */
    private static TopLatents topLatents(String wire) {
        try {
            return TopLatents.parse(wire);
        } catch (IllegalArgumentException e) {
            return TopLatents.parse(null);
        }
    }
}
