package io.latentwatch.monitor.incident;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The example configuration in deploy/alertmanager is valid for the real Alertmanager ({@code amtool
 * check-config}) and routes incidents by severity as its comments say ({@code amtool config routes test}).
 */
class AlertmanagerConfigTest {
    private static final Path CONFIG = Path.of("..", "deploy", "alertmanager", "alertmanager.yml");

    private static Optional<Path> amtool() {
        return AlertmanagerProcess.binary().map(b -> b.resolveSibling("amtool")).filter(Files::isExecutable);
    }

    private static String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(amtool().orElseThrow().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        return out;
    }

    @Test
    void theExampleConfigurationIsValidAndRoutesBySeverity() throws Exception {
        assumeTrue(amtool().isPresent(), "amtool not found (it comes with the Debian package prometheus-alertmanager)");
        assertTrue(run("check-config", CONFIG.toString()).contains("SUCCESS"));
        String[] base = {"config", "routes", "test", "--config.file=" + CONFIG, "alertname=" + AlertmanagerAlerts.ALERT_NAME};
        assertEquals("webhook,pagerduty", run(concat(base, "severity=critical")));
        assertEquals("webhook,slack", run(concat(base, "severity=warning")));
        assertEquals("webhook", run(concat(base, "severity=info")));
    }

    private static String[] concat(String[] a, String b) {
        String[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = b;
        return r;
    }
}
