package io.latentwatch.cli.bench;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.MonitorConfig;
import io.latentwatch.monitor.MonitorTopology;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.publisher.SampleKey;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code bench monitor --sweep}: the monitor end to end (in-process broker, exactly-once) as the work
 * grows along one axis at a time from the reference point (d_in 768, d_sae 24576, TopK k 64,
 * one position per sample, one (model, hook) key): d_sae, k, d_in, positions per request, and the
 * number of (model, hook) keys (each its own SAE, d_sae 4096). Per point: activations/s draining a
 * backlog, p50/p99 latency at half that rate, the projection's FLOPs per activation and the memory
 * one (model, hook) costs. SAEs are random, with a baseline over 1024 rows and the rare-latent
 * detector off (monitor.rare.epsilon=0), so the cost measured is the pipeline's, not an alert storm
 * from a small baseline. Results go to a Markdown table and a PNG ({@link SweepReport}).
 */
final class CostSweep {
    private CostSweep() {}

    /** One measured configuration; {@code vary} names the axis it belongs to. */
    record Point(String vary, int dIn, int dSae, int k, int positions, int keys) {}

    static final Point BASE = new Point("reference", 768, 24576, 64, 1, 1);

    /** The points: the reference, then each axis in turn. */
    static List<Point> points() {
        List<Point> p = new ArrayList<>();
        p.add(BASE);
        for (int d : new int[] {4096, 65536}) p.add(new Point("d_sae", 768, d, 64, 1, 1));
        for (int k : new int[] {16, 256}) p.add(new Point("k", 768, 24576, k, 1, 1));
        for (int d : new int[] {64, 4096}) p.add(new Point("d_in", d, 24576, 64, 1, 1));
        for (int n : new int[] {8, 32}) p.add(new Point("positions", 768, 24576, 64, n, 1));
        for (int n : new int[] {1, 4, 16}) p.add(new Point("keys", 768, 4096, 64, 1, n));
        return p;
    }

    static List<Map<String, Object>> run(int samples, Duration latencyPhase, Consumer<String> log) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        Path work = Files.createTempDirectory("latentwatch-bench-sweep-");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            int i = 0;
            for (Point pt : points()) {
                log.accept("sweep " + (i + 1) + "/" + points().size() + ": " + pt);
                Map<String, Object> r = point(kafka, pt, i++, Math.max(60, samples / pt.positions()), latencyPhase, work);
                log.accept("  " + r.get("activations_per_s") + " activations/s, p99 " + r.get("p99_ms") + " ms");
                rows.add(r);
            }
        } finally {
            BenchFixtures.deleteQuietly(work);
        }
        return rows;
    }

    private static Map<String, Object> point(EmbeddedKafka kafka, Point pt, int index, int samples, Duration latencyPhase, Path work)
            throws Exception {
        String hook = "blocks.6.hook_resid_post";
        Topics topics = Topics.withPrefix("sweep-" + index + ".");
        try (Admin admin = Admin.create(kafka.clientConfig())) { topics.create(admin, 3, (short) 1); }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Path dir = Files.createDirectories(work.resolve("p" + index));
        List<String> models = new ArrayList<>();
        Map<String, Object> pc = new HashMap<>();
        pc.put("bootstrap.servers", kafka.bootstrapServers());
        pc.put("enable.idempotence", "true");
        pc.put("linger.ms", "5");
        Serializer<SaeVersion> vs = serdes.serializer(SaeVersion.class);
        Serializer<HiddenStateSample> ss = serdes.serializer(HiddenStateSample.class);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("vary", pt.vary());
        row.put("d_in", pt.dIn());
        row.put("d_sae", pt.dSae());
        row.put("k", pt.k());
        row.put("positions", pt.positions());
        row.put("keys", pt.keys());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pc, new StringSerializer(), new ByteArraySerializer())) {
            for (int j = 0; j < pt.keys(); j++) {
                String model = "sweep-model-" + j;
                models.add(model);
                SaeVersion v = BenchFixtures.writeSae(dir.resolve("sae-" + j), model, hook, pt.dIn(), pt.dSae(), pt.k(), 1024);
                producer.send(new ProducerRecord<>(topics.saeVersions(), model + "|" + hook, vs.serialize(topics.saeVersions(), v))).get();
            }
            String appId = "sweep-" + index;
            Map<String, Object> streams = MonitorApp.streamsDefaults(kafka.bootstrapServers(), dir.resolve("state"));
            streams.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
            MonitorConfig mc = MonitorConfig.of(Map.of(MonitorConfig.EXPLANATIONS_PARTITIONS, "3", MonitorConfig.RARE_EPSILON, "0"));
            BenchFixtures.SampleMaker maker = new BenchFixtures.SampleMaker(models, hook, pt.dIn(), pt.positions(), 7 + index);
            try (MonitorApp monitor = MonitorApp.builder(streams, topics, serdes).normDetector(new ActivationNormDetector(50, 4, 8))
                    .metricsPort(-1).sae(mc, Watchlist.empty(), null).build()) {
                monitor.start();
                if (!monitor.awaitRunning(Duration.ofSeconds(120))) throw new IllegalStateException("monitor not RUNNING after 120 s");
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (models.stream().anyMatch(m -> monitor.registry().versionRecord(m, hook) == null) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                long rowsWanted = (long) samples * pt.positions();
                for (int s = 0; s < samples; s++) {
                    HiddenStateSample smp = maker.next("t-" + s);
                    producer.send(new ProducerRecord<>(topics.hiddenStates(), SampleKey.MODEL_REQUEST.of(smp), ss.serialize(topics.hiddenStates(), smp)));
                }
                producer.flush();
                long first = 0, firstCount = 0, done;
                deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
                while ((done = monitor.metrics().projectedTotal()) < rowsWanted && System.nanoTime() < deadline) {
                    if (first == 0 && done > 0) { first = System.nanoTime(); firstCount = done; }
                    Thread.sleep(5);
                }
                long end = System.nanoTime();
                if (first == 0 || done <= firstCount) throw new IllegalStateException("no activations projected in 300 s at " + pt);
                double perS = (done - firstCount) / ((end - first) / 1e9);
                row.put("activations_per_s", Math.round(perS));
                row.put("samples_per_s", Math.round(perS / pt.positions()));
                double rate = Math.max(1, perS / pt.positions() / 2);
                double[] lat = LatencyProbe.run(kafka.bootstrapServers(), serdes, producer, ss, topics.hiddenStates(),
                        appId + "-" + MonitorTopology.PROJECTIONS + "-repartition", maker::next, rate, latencyPhase, pt.positions());
                row.put("latency_rate_per_s", Math.round(rate));
                row.put("p50_ms", Math.round(BenchFixtures.quantile(lat, 0.5)));
                row.put("p99_ms", Math.round(BenchFixtures.quantile(lat, 0.99)));
            }
        }
        row.put("flops_per_activation", 2L * pt.dIn() * pt.dSae() + 2L * pt.k() * pt.dIn());
        row.put("memory_per_key_mib", Math.round(memoryPerKey(pt.dIn(), pt.dSae(), pt.k(), 500) / 1048576.0 * 10) / 10.0);
        row.put("loadavg", MonitorBench.loadAverage());
        return row;
    }

    /**
     * Bytes one (model, hook) costs a monitor instance that owns it: the SAE's float32 weights (W_enc, W_dec,
     * biases, decoder norms) held natively, its baseline (firing frequency per latent), the open drift window
     * in memory (an int per latent) and in its store (one entry of k ids per counted activation, up to the
     * window size).
     */
    static long memoryPerKey(int dIn, int dSae, int k, int window) {
        long weights = 4L * (2L * dIn * dSae + 2L * dSae + dIn);
        long baseline = 4L * dSae;
        long drift = 4L * dSae + (long) window * (4L * k + 64);
        return weights + baseline + drift;
    }
}
