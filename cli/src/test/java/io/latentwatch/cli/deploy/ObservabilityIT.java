package io.latentwatch.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.monitor.MonitorMetrics;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.junit.jupiter.api.Test;

/**
 * The dashboard covers the monitor's metrics: a panel for every metric {@link MonitorMetrics} exports, and the model
 * and hook variables. That every dashboard query and rule expression returns data from a running monitor scraped by
 * a real Prometheus is {@code monitor}'s {@code MonitorPrometheusIT}.
 */
class ObservabilityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = DeployFiles.root();

    @Test
    void theDashboardHasAPanelForEveryExportedMetric() throws IOException {
        String dashboard = Files.readString(ROOT.resolve("grafana/dashboards/latentwatch.json"));
        List<String> missing = new ArrayList<>();
        for (MetricSnapshot s : new MonitorMetrics().registry().scrape()) {
            String name = s.getMetadata().getPrometheusName();
            if (!Pattern.compile("\\b" + Pattern.quote(name) + "(_total|_bucket|_sum|_count)?\\b").matcher(dashboard).find()) {
                missing.add(name);
            }
        }
        assertEquals(List.of(), missing, "metrics the monitor exports with no dashboard panel");
        JsonNode vars = JSON.readTree(dashboard).at("/templating/list");
        Set<String> names = new TreeSet<>();
        vars.forEach(v -> names.add(v.get("name").asText()));
        assertTrue(names.containsAll(Set.of("model", "hook")), "dashboard variables: " + names);
    }
}
