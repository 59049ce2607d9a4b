package io.latentwatch.cli.bench;

import io.latentwatch.common.KafkaConfig;
import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeProjection;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.monitor.MetricsScrape;
import io.latentwatch.monitor.MonitorApp;
import io.latentwatch.monitor.MonitorConfig;
import io.latentwatch.monitor.MonitorTopology;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.publisher.SampleKey;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.trainer.KafkaVersionPublisher;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The monitor end to end on the in-process broker, with an SAE of the size (d_in 768,
 * d_sae 24576, TopK k 64) whose weights are RANDOM (Gaussian encoder, unit-norm decoder rows):
 * throughput does not depend on what the weights mean. Samples carry one F16 activation of d_in and are
 * keyed as nodes key them ({@code modelId|requestId}), so they spread over the topic's partitions.
 *
 * <ol>
 *   <li>Throughput: N samples are written first, then the monitor starts and drains them; samples/s
 *       counts from the first projected activation to the N-th.</li>
 *   <li>Latency at half that rate: samples written at a steady rate; each projection is read back
 *       from the monitor's projection topic (read_committed, so after the exactly-once commit) and
 *       its latency is the wall clock minus the sample's timestamp.</li>
 *   <li>The ceiling: the monitor's projection is one [batch, d_in] x [d_in, d_sae] encoder matmul and,
 *       for a TopK SAE, a decode over the k selected decoder rows only (for the reconstruction error):
 *       2·d_in·d_sae + 2·k·d_in FLOPs per sample ({@code SaeProjection}), so samples/s cannot exceed the
 *       measured matmul FLOP/s divided by that.</li>
 * </ol>
 */
public final class MonitorBench {
    private MonitorBench() {}

    public static Map<String, Object> run(int dIn, int dSae, int k, int samples, Duration latencyPhase, Consumer<String> log) throws Exception {
        return run(dIn, dSae, k, samples, latencyPhase, Map.of(), log);
    }

    /** As above, with monitor settings ({@code monitor.*} keys, e.g. the micro-batch limits) over the defaults. */
    public static Map<String, Object> run(int dIn, int dSae, int k, int samples, Duration latencyPhase, Map<String, String> settings,
                                          Consumer<String> log) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("d_in", dIn);
        out.put("d_sae", dSae);
        out.put("k", k);
        out.put("loadavg_before", loadAverage());
        out.put("weights", "random (throughput does not depend on trained weights)");
        log.accept("measuring matmul GFLOP/s...");
        MatmulCeiling.Result square = MatmulCeiling.square(1024, 5);
        MatmulCeiling.Result proj = MatmulCeiling.measure(256, dIn, dSae, 5);
        double flopsPerSample = 2.0 * dIn * dSae + 2.0 * k * dIn; // dense encode + sparse TopK decode (SaeProjection)
        double gemm = square.bestGflops();
        Path work = Files.createTempDirectory("latentwatch-bench-monitor-");
        String modelId = "bench-model", hook = "blocks.6.hook_resid_post";
        Topics topics = Topics.defaults();
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        log.accept("writing a random SAE " + dIn + "x" + dSae + " (k " + k + ")...");
        SaeVersion version = BenchFixtures.writeSae(work, modelId, hook, dIn, dSae, k);
        log.accept("timing the projection alone at several micro-batch sizes...");
        out.put("projection_ms_by_batch_rows", projectionTimes(work.resolve("sae"), dIn));
        log.accept("starting the in-process broker...");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String bootstrap = kafka.bootstrapServers();
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                topics.create(admin, 3, (short) 1);
            }
            Map<String, Object> pc = new HashMap<>();
            pc.put("bootstrap.servers", bootstrap);
            pc.put("enable.idempotence", "true");
            pc.put("acks", "all");
            pc.put("linger.ms", "5");
            pc.put("compression.type", "zstd");
            var sampleSer = serdes.serializer(HiddenStateSample.class);
            var versionSer = serdes.serializer(SaeVersion.class);
            try (KafkaVersionPublisher<byte[]> vp = new KafkaVersionPublisher<>(new KafkaProducer<>(pc, new StringSerializer(),
                    new ByteArraySerializer()), v -> versionSer.serialize(topics.saeVersions(), v), topics.saeVersions());
                 KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pc, new StringSerializer(), new ByteArraySerializer())) {
                vp.publish(version);
                BenchFixtures.SampleMaker maker = new BenchFixtures.SampleMaker(modelId, hook, dIn, 7);
                log.accept("writing " + samples + " samples...");
                for (int i = 0; i < samples; i++) {
                    HiddenStateSample smp = maker.next("t-" + i);
                    producer.send(new ProducerRecord<>(topics.hiddenStates(), SampleKey.MODEL_REQUEST.of(smp),
                            sampleSer.serialize(topics.hiddenStates(), smp)));
                }
                producer.flush();

                log.accept("the peer (plain consumer -> decode -> matmul/TopK -> producer) on the same " + samples + " samples...");
                MonitorConfig mc = MonitorConfig.of(Map.of(MonitorConfig.EXPLANATIONS_PARTITIONS, "3"));
                for (Map.Entry<String, String> e : settings.entrySet()) mc = mc.with(e.getKey(), e.getValue());
                // The peer polls as many records as the monitor batches, and keeps as many latents.
                double peer = PeerLoop.run(bootstrap, serdes, topics.hiddenStates(), work.resolve("sae"), samples,
                        mc.integer(MonitorConfig.BATCH_MAX_RECORDS), mc.integer(MonitorConfig.PROJECTION_MAX_LATENTS));
                out.put("peer_samples_per_s", Math.round(peer));

                // Streams/client properties from LATENTWATCH_KAFKA_* (as the monitor service reads them), so that
                // commit.interval.ms, max.poll.records etc. can be measured; the bench's own broker always wins.
                Map<String, Object> defaults = MonitorApp.streamsDefaults(bootstrap, work.resolve("streams"));
                Map<String, Object> streams = KafkaConfig.withOverrides(defaults, System.getenv());
                streams.put("bootstrap.servers", bootstrap);
                Map<String, Object> overridden = new TreeMap<>();
                streams.forEach((name, v) -> { if (!v.equals(defaults.get(name))) overridden.put(name, v); });
                if (!overridden.isEmpty()) out.put("streams_overrides", overridden);
                if (!settings.isEmpty()) out.put("monitor_settings", new TreeMap<>(settings));
                try (MonitorApp monitor = MonitorApp.builder(streams, topics, serdes).normDetector(new ActivationNormDetector(50, 4, 8)).metricsPort(0)
                        .sae(mc, Watchlist.empty(), null).build()) {
                    monitor.start();
                    if (!monitor.awaitRunning(Duration.ofSeconds(120))) throw new IllegalStateException("monitor not RUNNING after 120 s");
                    log.accept("monitor RUNNING; draining " + samples + " samples...");
                    long first = 0, firstCount = 0, deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
                    long done;
                    while ((done = monitor.metrics().projectedTotal()) < samples && System.nanoTime() < deadline) {
                        if (first == 0 && done > 0) {
                            first = System.nanoTime();
                            firstCount = done;
                        }
                        Thread.sleep(5);
                    }
                    long end = System.nanoTime();
                    if (first == 0 || done <= firstCount) throw new IllegalStateException("no samples projected in 300 s");
                    // A backlog not drained in time still gives a rate: what was projected since the first one.
                    double perS = (done - firstCount) / ((end - first) / 1e9);
                    out.put("samples", samples);
                    out.put("samples_projected", done);
                    out.put("backlog_drained", done >= samples);
                    out.put("samples_per_s", Math.round(perS));
                    out.put("peer_ratio", round(perS / peer));
                    out.put("without_sae", monitor.metrics().withoutSaeTotal());
                    out.put("mean_batch_rows", Math.round(monitor.metrics().batchRowsSum() / Math.max(1, monitor.metrics().batchCount()) * 10) / 10.0);
                    out.put("stream_thread_time_share", threadTimeShares(monitor));

                    double rate = perS / 2;
                    log.accept(String.format("%.0f samples/s; latency at %.0f samples/s for %ds...", perS, rate, latencyPhase.toSeconds()));
                    double[] lat = LatencyProbe.run(bootstrap, serdes, producer, sampleSer, topics.hiddenStates(),
                            MonitorApp.APPLICATION_ID + "-" + MonitorTopology.PROJECTIONS + "-repartition", maker::next, rate, latencyPhase, 1);
                    out.put("latency_rate_per_s", Math.round(rate));
                    out.put("latency_samples", lat.length);
                    out.put("p50_ms", round(BenchFixtures.quantile(lat, 0.50)));
                    out.put("p99_ms", round(BenchFixtures.quantile(lat, 0.99)));
                    out.put("latency_measured", "sample timestamp -> projection visible to a read_committed consumer "
                            + "(includes the exactly-once commit interval, commit.interval.ms=100 by default)");
                    MetricsScrape scrape = MetricsScrape.fetch("http://127.0.0.1:" + monitor.metricsPort() + "/metrics");
                    double c = scrape.sum("latentwatch_end_to_end_latency_seconds_count");
                    out.put("alerts_by_detector", scrape.sumBy("latentwatch_alerts_total", "detector"));
                    out.put("mean_projection_latency_ms", c == 0 ? null : round(1e3 * scrape.sum("latentwatch_end_to_end_latency_seconds_sum") / c));
                }
            }
        } finally {
            BenchFixtures.deleteQuietly(work);
        }
        out.put("flops_per_sample", (long) flopsPerSample);
        out.put("gemm_gflops", MatmulCeiling.round(gemm));
        out.put("gemm", square.toMap());
        out.put("projection_shape_gemm", proj.toMap());
        double ceiling = gemm * 1e9 / flopsPerSample;
        out.put("ceiling_samples_per_s", Math.round(ceiling));
        out.put("share_of_ceiling", round(((Number) out.get("samples_per_s")).doubleValue() / ceiling));
        out.put("loadavg_after", loadAverage());
        return out;
    }

    /** {@link InstanceScaling}: samples/s with 1..N separate monitor processes. */
    public static Map<String, Object> instances(List<Integer> counts, int dIn, int dSae, int k, int samples, Consumer<String> log)
            throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("d_in", dIn);
        out.put("d_sae", dSae);
        out.put("k", k);
        out.put("samples", samples);
        out.put("loadavg_before", loadAverage());
        out.putAll(InstanceScaling.run(counts, dIn, dSae, k, samples, log));
        out.put("loadavg_after", loadAverage());
        return out;
    }

    /** {@link CostSweep}: activations/s and latency as the work grows; table and PNG written to {@code out}. */
    public static List<Map<String, Object>> sweep(int samples, Duration latencyPhase, Path out, Consumer<String> log) throws Exception {
        List<Map<String, Object>> rows = CostSweep.run(samples, latencyPhase, log);
        SweepReport.write(rows, out);
        log.accept("wrote " + out.resolve("monitor-sweep.md") + " and " + out.resolve("monitor-sweep.png"));
        return rows;
    }

    /** The 1-minute load average (/proc/loadavg; -1 where there is none): how busy the machine was around a figure. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (Exception e) {
            return -1;
        }
    }

    /**
     * {@link SaeProjection} alone (no Kafka) at several batch sizes, median of 5: how much a bigger
     * micro-batch saves per row. Small batches are bound by reading W_enc (d_in·d_sae floats) once per
     * batch, not by FLOPs.
     */
    private static Map<String, Object> projectionTimes(Path saeDir, int dIn) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(5);
        try (SparseAutoencoder sae = SaeFiles.load(saeDir)) {
            for (int rows : new int[] {1, 8, 32, 128, 256}) {
                float[] x = new float[rows * dIn];
                for (int i = 0; i < x.length; i++) x[i] = (float) BenchFixtures.gaussian(r);
                SaeProjection.of(sae, x, rows, 64); // warm-up
                double[] ms = new double[5];
                for (int i = 0; i < ms.length; i++) {
                    long t = System.nanoTime();
                    SaeProjection.of(sae, x, rows, 64);
                    ms[i] = (System.nanoTime() - t) / 1e6;
                }
                Arrays.sort(ms);
                out.put(Integer.toString(rows), round(ms[ms.length / 2]));
            }
        }
        return out;
    }

    /**
     * Where the stream thread spent its time while draining the backlog (Kafka Streams' own
     * poll/process/punctuate/commit ratios of the last window): tells whether the matmul (process +
     * punctuate, where drains run) or the exactly-once commits bound the throughput.
     */
    private static Map<String, Object> threadTimeShares(MonitorApp monitor) {
        Map<String, Object> shares = new LinkedHashMap<>();
        for (String phase : List.of("poll", "process", "punctuate", "commit")) {
            double sum = 0;
            for (var e : monitor.streams().metrics().entrySet()) {
                if (e.getKey().group().equals("stream-thread-metrics") && e.getKey().name().equals(phase + "-ratio")
                        && e.getValue().metricValue() instanceof Number n && Double.isFinite(n.doubleValue())) {
                    sum += n.doubleValue();
                }
            }
            shares.put(phase, round(sum));
        }
        return shares;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

}
