package io.latentwatch.monitor.incident;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Posts alerts to one or more Alertmanagers ({@code POST <url>/api/v2/alerts}). Alertmanagers of a
 * cluster gossip alerts among themselves, so one success is enough (as Prometheus does, the router
 * tries each in turn).
 */
public final class AlertmanagerClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<URI> endpoints;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final Duration timeout;

    public AlertmanagerClient(List<String> baseUrls, Duration timeout) {
        if (baseUrls.isEmpty()) throw new IllegalArgumentException("at least one Alertmanager URL is needed (e.g. http://alertmanager:9093)");
        this.endpoints = baseUrls.stream().map(u -> URI.create((u.endsWith("/") ? u.substring(0, u.length() - 1) : u) + "/api/v2/alerts")).toList();
        this.timeout = timeout;
    }

    /** Sends {@code alerts}; throws naming every Alertmanager's failure when none accepted them. */
    public void post(ArrayNode alerts) throws IOException, InterruptedException {
        byte[] body = JSON.writeValueAsBytes(alerts);
        StringBuilder failures = new StringBuilder();
        for (URI u : endpoints) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(u).timeout(timeout).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 == 2) return;
                failures.append(u).append(" answered ").append(r.statusCode()).append(": ").append(r.body().strip()).append("; ");
            } catch (IOException e) {
                failures.append(u).append(": ").append(e.getClass().getSimpleName()).append(' ').append(e.getMessage()).append("; ");
            }
        }
        throw new IOException("no Alertmanager accepted " + alerts.size() + " alert(s): " + failures);
    }

    public List<URI> endpoints() {
        return endpoints;
    }
}
