package io.latentwatch.cli.deploy;

import io.latentwatch.chaos.ChaosReport;
import io.latentwatch.chaos.ChaosRunner;
import io.latentwatch.chaos.Comparison;
import io.latentwatch.chaos.LocalStack;
import io.latentwatch.chaos.Scenario;
import io.latentwatch.chaos.TopicRecords;
import io.latentwatch.serde.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deployed product as separate JVM processes: deploy/local/stack brings up the broker, the registry (Apicurio,
 * KafkaSQL), the trainer, two monitors and the node on the built jar, the trainer trains the first SAE and circuit
 * signature from the examples the stack publishes; then mixed and circuit traffic leave recon-error, rare-latent and
 * circuit alerts whose explanations carry logit-lens tokens and Patchscope text, audit verify passes, and after the broker
 * and the registry restart every record of every topic still decodes. Then the short scenarios of the fault suite: kill -9
 * of one of two monitors and a broker kill/restart, each with no missing, extra or duplicated per-sample alert or
 * explanation against its reference run. Skipped, saying so, without the built jar or the registry server.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StackProcessesIT {
    private static final Path ROOT = DeployFiles.root();
    private static final Topics TOPICS = Topics.defaults();
    private static Path dir;
    private static LocalStack stack;

    @BeforeAll
    static void up() throws Exception {
        Path jar = ROOT.resolve("cli/target/latentwatch.jar");
        Assumptions.assumeTrue(Files.isRegularFile(jar), "no " + jar + " (run the package phase first)");
        Assumptions.assumeTrue(hasRegistryServer(), "no Apicurio Registry server under embedded/target/apicurio-registry "
                + "(the embedded module fetches it in its pre-integration-test phase)");
        dir = Files.createTempDirectory("latentwatch-stack-it-");
        stack = new LocalStack(ROOT.resolve("deploy/local/stack"), dir, jar, freeBase(), List.of("--without-observability"));
        stack.up(Duration.ofMinutes(15));
    }

    @AfterAll
    static void down() throws Exception {
        if (stack != null) stack.down();
        if (dir != null) {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void trafficLeavesSaeAlertsWithModelReadingsAndTheLogVerifies() throws Exception {
        TopicRecords tr = new TopicRecords(stack.bootstrap(), stack.registry());
        Map<Integer, Long> alertsFrom = tr.endOffsets(TOPICS.alerts()), explFrom = tr.endOffsets(TOPICS.explanations());
        traffic("mixed", "0.15", 80, "11");
        traffic("circuits", "0.7", 120, "3");
        List<TopicRecords.Item> alerts = awaitAlerts(tr, alertsFrom, Set.of("recon-error", "rare-latent", "circuit"));
        Map<String, String> keys = new HashMap<>();
        alerts.forEach(a -> keys.put(a.alertId(), a.key()));
        List<TopicRecords.Item> expl = tr.explanations(TOPICS.explanations(), explFrom, keys);
        Map<String, List<TopicRecords.Item>> byDetector = expl.stream().collect(Collectors.groupingBy(TopicRecords.Item::detector));
        for (String d : List.of("recon-error", "rare-latent")) {
            List<TopicRecords.Item> e = byDetector.getOrDefault(d, List.of());
            assertTrue(e.stream().anyMatch(TopicRecords.Item::logitLens), d + " explanations without logit-lens tokens: " + e.size());
            // Patchscope text on every one, except where the status says why there is none: the circuit SAE's hook is a
            // head's output (not-applicable: no residual state to patch; most rare-latent alerts are there), or the model
            // answered only whitespace (blank), or the explanation worker's queue was full (saturated).
            List<String> unexplained = e.stream()
                    .filter(x -> !x.patchscope() && !Set.of("not-applicable", "blank", "saturated").contains(x.patchscopeStatus()))
                    .map(x -> x.alertId() + "=" + x.patchscopeStatus()).toList();
            assertTrue(unexplained.isEmpty(), d + " explanations without Patchscope text or a reason: " + unexplained);
        }
        // The residual SAE's alerts are read with the Patchscope.
        assertTrue(byDetector.getOrDefault("recon-error", List.of()).stream().anyMatch(TopicRecords.Item::patchscope),
                "recon-error explanations without Patchscope text");
        assertTrue(byDetector.containsKey("circuit"), "no circuit explanation: " + byDetector.keySet());
        audit();

        stack.stop("registry");
        stack.stop("kafka");
        stack.up(Duration.ofMinutes(10));
        audit();
        for (String t : TOPICS.all()) {
            TopicRecords.Decoded d = new TopicRecords(stack.bootstrap(), stack.registry()).decodeAll(t);
            assertEquals(0, d.undecodable(), "after the broker and registry restart: " + d);
        }
    }

    @Test
    @Order(2)
    void killNineOfOneOfTwoMonitorsLosesAndDuplicatesNothing() throws Exception {
        assertClean(scenario(Scenario.MONITOR_KILL_ONE));
    }

    @Test
    @Order(3)
    void brokerKilledAndRestartedLosesAndDuplicatesNothing() throws Exception {
        assertClean(scenario(Scenario.BROKER_RESTART));
    }

    private static ChaosReport scenario(Scenario s) throws Exception {
        ChaosRunner r = new ChaosRunner(stack, new ChaosRunner.Options(60, 4, 5, 0.4, Duration.ofSeconds(5), Duration.ofMinutes(5)),
                line -> System.out.println("chaos: " + line));
        ChaosReport report = r.run(s);
        System.out.print(report.summary());
        return report;
    }

    private static void assertClean(ChaosReport r) {
        for (var e : r.alerts().byDetector().entrySet()) {
            if (Comparison.PER_SAMPLE.contains(e.getKey())) assertTrue(e.getValue().clean(), "alerts of " + e.getKey() + ": " + e.getValue());
        }
        for (var e : r.explanations().byDetector().entrySet()) {
            if (Comparison.PER_SAMPLE.contains(e.getKey())) assertTrue(e.getValue().clean(), "explanations of " + e.getKey() + ": " + e.getValue());
        }
        assertTrue(r.reference().alerts().size() > 0, "the reference run raised no alert");
        assertEquals(r.reference().truth().requests().size(), r.fault().truth().answered(), "requests not answered in the fault run");
        assertTrue(r.auditOk(), "audit verify: " + r.auditOutput());
        assertTrue(r.fault().recoveryMs() >= 0, "processing did not resume on every partition");
        r.decoded().forEach(d -> assertEquals(0, d.undecodable(), d.toString()));
        assertTrue(r.passed(), r.summary());
    }

    private static void traffic(String scenario, String share, int requests, String seed) throws Exception {
        LocalStack.Result r = stack.latentwatch(Duration.ofMinutes(5), "traffic", "--url", stack.nodeUrl(), "--scenario", scenario,
                "--inject-share", share, "--rate", "6", "--max-requests", Integer.toString(requests), "--duration", "2m", "--seed", seed,
                "--json", "-q");
        assertEquals(0, r.exit(), r.output());
    }

    /** Polls (the monitors work asynchronously) until every detector in {@code wanted} has alerted, or 3 minutes pass. */
    private static List<TopicRecords.Item> awaitAlerts(TopicRecords tr, Map<Integer, Long> from, Set<String> wanted) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        List<TopicRecords.Item> a;
        do {
            a = tr.alerts(TOPICS.alerts(), from);
            Set<String> seen = a.stream().map(TopicRecords.Item::detector).collect(Collectors.toSet());
            if (seen.containsAll(wanted)) return a;
            Thread.sleep(2_000);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("alerts of " + wanted + " expected, got " + a.stream().map(TopicRecords.Item::detector)
                .collect(Collectors.groupingBy(x -> x, Collectors.counting())));
    }

    private static void audit() throws Exception {
        LocalStack.Result r = stack.latentwatch(Duration.ofMinutes(3), "audit", "verify", "--timeout", "60s");
        assertEquals(0, r.exit(), "audit verify: " + r.output());
    }

    private static boolean hasRegistryServer() throws IOException {
        Path home = ROOT.resolve("embedded/target/apicurio-registry");
        if (!Files.isDirectory(home)) return false;
        try (var s = Files.walk(home, 4)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith("-runner.jar"));
        }
    }

    /** A base port whose offsets used by the stack (0 to 500) are free now. */
    private static int freeBase() throws IOException {
        int[] offsets = {0, 81, 92, 401, 402, 411, 412, 500};
        for (int base = 31000; base < 60000; base += 1000) {
            boolean free = true;
            for (int o : offsets) {
                try (ServerSocket s = new ServerSocket(base + o, 1, InetAddress.getLoopbackAddress())) {
                    s.setReuseAddress(true);
                } catch (IOException e) {
                    free = false;
                    break;
                }
            }
            if (free) return base;
        }
        throw new IOException("no free port range for the stack");
    }
}
