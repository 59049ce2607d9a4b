package io.latentwatch.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.serde.Topics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one {@link Scenario} on the local stack: the stack up, a fault-free reference run, then the same seeded traffic
 * with the fault injected {@link Options#faultAfter} into it, then the comparison ({@link Comparison}), {@code audit
 * verify} and, after broker and registry faults, a decode of every record of every topic. Runs are sequential and each
 * starts only when the monitors have processed everything before it, so a run's alerts are the records written after
 * its start offsets.
 */
public final class ChaosRunner {
    /**
     * @param requests   requests per run (at {@code rate} per second); the broker-unreachable scenario runs at least 90 s
     * @param seed       seed of the traffic (the same in both runs)
     * @param injectShare share of anomalies and circuit triggers in the mixed traffic (high enough for circuit alerts)
     * @param faultAfter time into the fault run when the fault is injected
     */
    public record Options(int requests, double rate, long seed, double injectShare, Duration faultAfter, Duration drainTimeout) {
        public static Options defaults() { return new Options(120, 4, 7, 0.4, Duration.ofSeconds(8), Duration.ofMinutes(4)); }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final LocalStack stack;
    private final Options o;
    private final Consumer<String> log;
    private final Topics topics = Topics.fromEnvironment();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    public ChaosRunner(LocalStack stack, Options options, Consumer<String> log) {
        this.stack = stack;
        this.o = options;
        this.log = log;
    }

    public ChaosReport run(Scenario s) throws Exception {
        Faults faults = new Faults(stack);
        log.accept("stack up (" + stack.dir() + ")");
        stack.up(Duration.ofMinutes(15));
        faults.prepare(s);
        Path work = Files.createDirectories(stack.dir().resolve("chaos"));
        log.accept("reference run: " + requests(s) + " requests at " + o.rate() + "/s, seed " + o.seed());
        RunOutcome ref = run(s, null, work.resolve(s.wire() + "-reference.jsonl"), faults);
        log.accept("fault run: " + s.wire() + " after " + o.faultAfter().toSeconds() + " s");
        RunOutcome fault = run(s, s, work.resolve(s.wire() + "-fault.jsonl"), faults);
        faults.restore();
        LocalStack.Result audit = stack.latentwatch(Duration.ofMinutes(3), "audit", "verify", "--timeout", "60s");
        List<TopicRecords.Decoded> decoded = new ArrayList<>();
        if (s == Scenario.BROKER_RESTART || s == Scenario.BROKER_KILL || s == Scenario.REGISTRY_DOWN) {
            TopicRecords tr = records();
            for (String t : topics.all()) decoded.add(tr.decodeAll(t));
        }
        return new ChaosReport(s, o, ref, fault, Comparison.of(ref.alerts(), fault.alerts()),
                Comparison.of(ref.explanations(), fault.explanations()), audit.ok(), LocalStack.tail(audit.output(), 3), decoded);
    }

    private int requests(Scenario s) {
        return s == Scenario.NODE_BROKER_UNREACHABLE ? Math.max(o.requests(), (int) (90 * o.rate())) : o.requests();
    }

    private RunOutcome run(Scenario s, Scenario fault, Path truthFile, Faults faults) throws Exception {
        StreamProgress progress = new StreamProgress(stack.bootstrap(), "latentwatch-monitor", topics.hiddenStates());
        awaitDrained(progress, null);
        TopicRecords tr = records();
        Map<Integer, Long> alertsFrom = tr.endOffsets(topics.alerts()), explFrom = tr.endOffsets(topics.explanations());
        StreamProgress.Snapshot start = progress.snapshot(Duration.ofSeconds(30));
        JsonNode nodeBefore = nodeHealth();
        int n = requests(s);
        double seconds = n / o.rate();
        List<String> cmd = new ArrayList<>(List.of("traffic", "--url", stack.nodeUrl(), "--scenario", "mixed", "--rate", Double.toString(o.rate()),
                "--inject-share", Double.toString(o.injectShare()),
                "--max-requests", Integer.toString(n), "--duration", (long) Math.ceil(seconds * 1.5 + 10) + "s",
                "--seed", Long.toString(o.seed()), "--ground-truth", truthFile.toString(), "--json", "-q"));
        Process traffic = stack.latentwatchProcess(cmd, truthFile.resolveSibling(truthFile.getFileName() + ".log"));
        long faultStart = 0, faultEnd = 0, recovery = 0;
        Map<String, Object> facts = Map.of();
        if (fault != null) {
            Thread.sleep(o.faultAfter().toMillis());
            StreamProgress.Snapshot atFault = progress.trySnapshot(Duration.ofSeconds(5));
            faultStart = System.currentTimeMillis();
            facts = faults.inject(fault);
            faultEnd = System.currentTimeMillis();
            recovery = awaitRecovered(progress, atFault, faultStart);
            log.accept(String.format("  fault lifted after %.1f s; processing on every partition again %.1f s after the fault",
                    (faultEnd - faultStart) / 1e3, recovery / 1e3));
        }
        if (!traffic.waitFor((long) (seconds * 3 + 180), TimeUnit.SECONDS)) {
            traffic.destroyForcibly();
            throw new IllegalStateException("latentwatch traffic did not finish; see " + truthFile + ".log");
        }
        JsonNode nodeAfter = awaitPublisherIdle();
        StreamProgress.Snapshot end = awaitDrained(progress, start);
        List<TopicRecords.Item> alerts = awaitSettled(() -> tr.alerts(topics.alerts(), alertsFrom));
        Map<String, String> keys = new HashMap<>();
        alerts.forEach(a -> keys.put(a.alertId(), a.key()));
        List<TopicRecords.Item> expl = awaitSettled(() -> tr.explanations(topics.explanations(), explFrom, keys));
        log.accept(String.format("  %d alerts, %d explanations", alerts.size(), expl.size()));
        return new RunOutcome(delta(nodeBefore, nodeAfter, "sampled"), delta(nodeBefore, nodeAfter, "samples_enqueued"),
                delta(nodeBefore, nodeAfter, "samples_dropped") + delta(nodeBefore, nodeAfter, "samples_failed"),
                delta(nodeBefore, nodeAfter, "samples_published"), end.processed() - start.processed(), alerts, expl,
                GroundTruth.read(truthFile), faultStart, faultEnd, recovery, facts);
    }

    /**
     * Milliseconds from {@code faultStart} until every partition that had samples waiting was committed past its
     * offset at the fault (processing resumed there), or -1 when that did not happen within the drain timeout.
     */
    private long awaitRecovered(StreamProgress progress, StreamProgress.Snapshot atFault, long faultStart) throws InterruptedException {
        Map<Integer, Boolean> done = new HashMap<>();
        long deadline = System.currentTimeMillis() + o.drainTimeout().toMillis();
        while (System.currentTimeMillis() < deadline) {
            StreamProgress.Snapshot now = progress.trySnapshot(Duration.ofSeconds(5));
            if (now != null && atFault != null) {
                boolean all = true;
                for (var e : now.end().entrySet()) {
                    int p = e.getKey();
                    long base = atFault.committed().getOrDefault(p, 0L), c = now.committed().getOrDefault(p, 0L);
                    boolean pending = e.getValue() > base;
                    if (!pending || c > base) done.put(p, true);
                    all &= done.getOrDefault(p, false);
                }
                if (all) return System.currentTimeMillis() - faultStart;
            } else if (now != null) {
                atFault = now; // the broker did not answer at the fault: measure from the first answer
            }
            Thread.sleep(200);
        }
        return -1;
    }

    /** Waits until the monitors' group has no lag and, when given, has moved past {@code since}. */
    private StreamProgress.Snapshot awaitDrained(StreamProgress progress, StreamProgress.Snapshot since) throws Exception {
        long deadline = System.nanoTime() + o.drainTimeout().toNanos();
        StreamProgress.Snapshot s = null;
        while (System.nanoTime() < deadline) {
            s = progress.trySnapshot(Duration.ofSeconds(10));
            if (s != null && s.lag() == 0 && !s.committed().isEmpty()) return s;
            Thread.sleep(500);
        }
        throw new IllegalStateException("the monitors did not catch up within " + o.drainTimeout() + " (lag " + (s == null ? "?" : s.lag()) + ")");
    }

    /** The node's /health once its publisher has nothing queued or in flight (published + dropped + failed = enqueued). */
    private JsonNode awaitPublisherIdle() throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        JsonNode h = nodeHealth();
        while (System.nanoTime() < deadline) {
            h = nodeHealth();
            long settled = h.path("samples_published").asLong() + h.path("samples_failed").asLong();
            if (settled >= h.path("samples_enqueued").asLong()) return h;
            Thread.sleep(250);
        }
        return h;
    }

    private interface Reader { List<TopicRecords.Item> read(); }

    /** Reads until two reads 5 s apart agree: explanations follow their alerts asynchronously. */
    private static List<TopicRecords.Item> awaitSettled(Reader r) throws InterruptedException {
        List<TopicRecords.Item> prev = r.read();
        for (int i = 0; i < 24; i++) {
            Thread.sleep(5_000);
            List<TopicRecords.Item> now = r.read();
            if (now.size() == prev.size()) return now;
            prev = now;
        }
        return prev;
    }

    private JsonNode nodeHealth() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(stack.nodeUrl() + "/health")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    private static long delta(JsonNode before, JsonNode after, String field) {
        return after.path(field).asLong() - before.path(field).asLong();
    }

    private TopicRecords records() throws IOException {
        return new TopicRecords(stack.bootstrap(), stack.registry());
    }
}
