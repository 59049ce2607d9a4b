package io.latentwatch.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The alerting rules in deploy/prometheus are checked and unit-tested with Prometheus's own
 * {@code promtool} ({@code promtool check rules}, {@code promtool test rules rules.test.yml}),
 * and every alert has at least one test case. Skipped, saying so, where promtool is not installed
 * (Debian: {@code apt-get install prometheus}; {@code .ci/run} installs it).
 */
class PrometheusRulesTest {

    static final Path PROMETHEUS_DIR = DeployFiles.root().resolve("deploy/prometheus");

    @Test
    void everyAlertHasAUnitTestCase() throws IOException {
        Set<String> alerts = names(Files.readString(PROMETHEUS_DIR.resolve("rules.yml")), "-\\s*alert:\\s*(\\S+)");
        Set<String> tested = names(Files.readString(PROMETHEUS_DIR.resolve("rules.test.yml")), "alertname:\\s*(\\S+)");
        assertTrue(alerts.size() >= 8, "rules.yml: " + alerts);
        assertEquals(alerts, tested, "every alert in rules.yml needs a case in rules.test.yml (and no test names a missing alert)");
    }

    @Test
    void promtoolChecksAndUnitTestsTheRules() throws Exception {
        Path promtool = Tools.find("promtool");
        assumeTrue(promtool != null, "promtool is not installed (Debian package 'prometheus'): the rules' unit tests "
                + "in deploy/prometheus/rules.test.yml are not run");
        run(promtool, "check", "rules", "rules.yml");
        run(promtool, "test", "rules", "rules.test.yml");
    }

    private static void run(Path promtool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(promtool.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(PROMETHEUS_DIR.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
    }

    private static Set<String> names(String text, String regex) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
