package io.latentwatch.monitor;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.interp.zoo.SyntheticCorpus;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.LensTrajectoryDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SamplingMetadata;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The lens-trajectory detector on a real broker, in the full monitor (SAE half on, explanations hash-chained): real
 * zoo-small samples carrying the early ({@code blocks.0.hook_resid_post}) and final ({@code blocks.1.hook_resid_post})
 * residuals at every position, read with the committed zoo-small tuned lens. Normal zoo stories warm up the baseline
 * and then raise (almost) nothing; a repeated-token input the model never saw ("the the the ...") raises a
 * lens-trajectory alert with its explanation; and the warm-up baseline comes back from the changelog after a restart
 * on an empty state directory (without it the restarted instance would be warming up again and stay silent).
 */
class LensTrajectoryEmbeddedIT extends AbstractKafkaIT {
    static final String MODEL = "zoo-small", EARLY = "blocks.0.hook_resid_post", FINAL = "blocks.1.hook_resid_post";
    static final int WARMUP = 80;
    static final String OFF_DISTRIBUTION = "the the the the the the the the the the the the";

    static HookedTransformer zoo;
    static Path lensDir;

    LensTrajectoryEmbeddedIT() { super(KafkaBackend.Kind.EMBEDDED); }

    static Path repo(String p) { return Files.exists(Path.of("../" + p)) ? Path.of("../" + p) : Path.of(p); }

    @BeforeAll
    static void loadModel() throws Exception {
        zoo = HookedTransformer.load(repo("models/zoo-small"), null);
        lensDir = repo("docs/reports/lens/zoo-small/tuned");
    }

    @AfterAll
    static void closeModel() { if (zoo != null) zoo.close(); }

    private static Activation act(String hook, int pos, float[] v) {
        return Activation.newBuilder().setHook(hook).setPosition(pos).setDtype(Dtype.F32).setShape(List.of(v.length))
                .setData(ByteBuffer.wrap(Float16Codec.encode(DType.F32, v))).build();
    }

    /** A sample of {@code text} as a node sampling both residual hooks publishes it: the pairs at {@code positions} (null: 1..T-1). */
    static HiddenStateSample sample(String id, String text, int[] positions) {
        int[] toks = zoo.toTokens(text);
        ForwardResult r = zoo.runWithCache(toks, List.of(EARLY, FINAL));
        Tensor e = r.cache().get(EARLY), f = r.cache().get(FINAL);
        int d = zoo.config().dModel();
        if (positions == null) positions = IntStream.range(1, toks.length).toArray();
        List<Activation> acts = new ArrayList<>();
        for (int p : positions) {
            acts.add(act(EARLY, p, Arrays.copyOfRange(e.data(), p * d, (p + 1) * d)));
            acts.add(act(FINAL, p, Arrays.copyOfRange(f.data(), p * d, (p + 1) * d)));
        }
        List<Integer> t = new ArrayList<>();
        for (int x : toks) t.add(x);
        return HiddenStateSample.newBuilder().setModelId(MODEL).setModelVersion(zoo.versionHash()).setNodeId("it-node").setRequestId(id)
                .setTimestampMs(Instant.now()).setTokenIds(t)
                .setSampling(SamplingMetadata.newBuilder().setSampleRate(1.0).setPositionPolicy("all").build())
                .setActivations(acts).build();
    }

    private MonitorApp monitor(Map<String, Object> streamsCfg, Topics topics, LatentwatchSerdes serdes) throws Exception {
        MonitorConfig cfg = MonitorConfig.of(Map.of(MonitorConfig.LENS_WARMUP, Integer.toString(WARMUP),
                MonitorConfig.LENS_QUANTILE, "0.99", MonitorConfig.LENS_MARGIN, "1.5",
                MonitorConfig.TUNED_LENS_DIR_PREFIX + MODEL, lensDir.toString(),
                MonitorConfig.EXPLANATIONS_PARTITIONS, "1", MonitorConfig.BATCH_MAX_MS, "20"), Map.of());
        return MonitorApp.builder(streamsCfg, topics, serdes)
                .normDetector(new ActivationNormDetector(1_000_000, 1e9, 1e9)) // out of the way: only the lens detector speaks
                .sae(cfg, Watchlist.empty(), null)
                .lensTrajectory(Map.of(MODEL, zoo), cfg)
                .build().start();
    }

    private static void awaitProcessed(MonitorApp m, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (m.metrics().processedTotal() < n && System.nanoTime() < deadline) Thread.sleep(50);
        assertEquals(n, m.metrics().processedTotal());
    }

    @Test
    void normalTrafficStaysQuietAnOffDistributionInputAlertsWithAnExplanationAndTheBaselineSurvivesARestart(
            @TempDir Path firstState, @TempDir Path secondState) throws Exception {
        Topics topics = uniqueTopics();
        try (Admin admin = admin()) { topics.create(admin, 1, (short) 1); }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        String appId = "it-lens-" + UUID.randomUUID();
        SyntheticCorpus corpus = new SyntheticCorpus(9001); // not the corpus seed the lens was trained on

        Map<String, Object> cfg1 = MonitorApp.streamsDefaults(bootstrapServers(), firstState);
        cfg1.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        List<String> normalIds = new ArrayList<>();
        int scored = 0, warm = 0, sent = 0;
        HiddenStateSample ood = sample("off-distribution-1", OFF_DISTRIBUTION, new int[] {zoo.toTokens(OFF_DISTRIBUTION).length - 1});
        try (MonitorApp first = monitor(cfg1, topics, serdes);
             HiddenStatePublisher publisher = HiddenStatePublisher.create(HiddenStatePublisher.producerDefaults(bootstrapServers()),
                     serdes.serializer(HiddenStateSample.class), topics.hiddenStates(), 1024)) {
            assertTrue(first.awaitRunning(Duration.ofSeconds(60)), "monitor state " + first.state());
            // Normal zoo stories: the first WARMUP pairs build the baseline, the rest are scored against it.
            while (warm + scored < WARMUP + 200) {
                HiddenStateSample s = sample("normal-" + sent, corpus.segment(SyntheticCorpus.Kind.STORY), null);
                int pairs = s.getActivations().size() / 2;
                if (warm + pairs <= WARMUP) warm += pairs;
                else { scored += warm + pairs - WARMUP; warm = WARMUP; normalIds.add(s.getRequestId()); }
                assertTrue(publisher.publish(s));
                sent++;
            }
            assertTrue(publisher.publish(ood));
            sent++;
            assertTrue(publisher.flush(Duration.ofSeconds(30)));
            awaitProcessed(first, sent);
            List<ConsumerRecord<String, Alert>> got = consumeUntil(List.of(topics.alerts()), new StringDeserializer(), serdes.deserializer(Alert.class),
                    g -> g.stream().anyMatch(r -> ood.getRequestId().equals(r.value().getRequestId())), Duration.ofSeconds(30));
            List<Alert> lens = got.stream().map(ConsumerRecord::value).filter(a -> a.getDetector().equals(LensTrajectoryDetector.NAME)).toList();
            long falseAlarms = lens.stream().filter(a -> normalIds.contains(a.getRequestId())).count();
            // q 0.99 x margin 1.5: ~0.2% measured offline on held-out positions (ZooLensTrajectoryTest); 5% is the bound.
            assertTrue(falseAlarms <= 0.05 * scored, "false alarms " + falseAlarms + " of " + scored + " scored normal pairs: " + lens);
            assertEquals(0, lens.stream().filter(a -> a.getRequestId() != null && a.getRequestId().startsWith("normal-") && !normalIds.contains(a.getRequestId())).count(),
                    "nothing alerts during warm-up");
            Alert a = lens.stream().filter(x -> ood.getRequestId().equals(x.getRequestId())).findFirst().orElseThrow();
            assertEquals(MODEL + "|" + EARLY, got.stream().filter(r -> r.value() == a).findFirst().orElseThrow().key());
            assertEquals(EARLY, a.getHook());
            assertEquals("1", a.getAttributes().get("residual_layer"));
            assertEquals(Integer.toString(WARMUP), a.getAttributes().get("baseline_n"));
            assertTrue(a.getScore() > 2 * a.getThreshold(), "clearly above: " + a.getSummary());
            assertTrue(a.getSummary().contains("KL(final || tuned lens of layer 1)"), a.getSummary());
            assertFalse(a.getAttributes().get("final_top_token").isBlank());
            System.out.printf("lens-trajectory IT: %d/%d scored normal pairs alerted; off-distribution KL %.3f vs threshold %.3f: %s%n",
                    falseAlarms, scored, a.getScore(), a.getThreshold(), a.getSummary());

            // Its explanation, hash-chained on the explanations topic: the alert's words for a compliance reader.
            List<ConsumerRecord<String, Explanation>> ex = consumeUntil(List.of(topics.explanations()), new StringDeserializer(),
                    serdes.deserializer(Explanation.class), g -> g.stream().anyMatch(r -> r.value().getAlertId().equals(a.getAlertId())),
                    Duration.ofSeconds(30));
            Explanation e = ex.stream().map(ConsumerRecord::value).filter(x -> x.getAlertId().equals(a.getAlertId())).findFirst().orElseThrow();
            assertEquals(LensTrajectoryDetector.NAME, e.getDetector());
            assertTrue(e.getText().contains("lens-trajectory check raised") && e.getText().contains(a.getSummary()), e.getText());
            assertNotNull(e.getHash());
        }

        // A fresh state directory: the threshold can only come back from the changelog of lens-trajectory-baselines.
        Map<String, Object> cfg2 = MonitorApp.streamsDefaults(bootstrapServers(), secondState);
        cfg2.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        HiddenStateSample ood2 = sample("off-distribution-2", OFF_DISTRIBUTION, new int[] {zoo.toTokens(OFF_DISTRIBUTION).length - 1});
        try (MonitorApp second = monitor(cfg2, topics, serdes);
             HiddenStatePublisher publisher = HiddenStatePublisher.create(HiddenStatePublisher.producerDefaults(bootstrapServers()),
                     serdes.serializer(HiddenStateSample.class), topics.hiddenStates(), 1024)) {
            assertTrue(second.awaitRunning(Duration.ofSeconds(60)), "monitor state " + second.state());
            assertTrue(publisher.publish(ood2));
            assertTrue(publisher.flush(Duration.ofSeconds(30)));
            awaitProcessed(second, 1); // committed input is not read again
            List<ConsumerRecord<String, Alert>> got = consumeUntil(List.of(topics.alerts()), new StringDeserializer(), serdes.deserializer(Alert.class),
                    g -> g.stream().anyMatch(r -> ood2.getRequestId().equals(r.value().getRequestId())), Duration.ofSeconds(30));
            Alert a2 = got.stream().map(ConsumerRecord::value).filter(x -> ood2.getRequestId().equals(x.getRequestId())).findFirst().orElseThrow();
            Alert a1 = got.stream().map(ConsumerRecord::value).filter(x -> ood.getRequestId().equals(x.getRequestId())).findFirst().orElseThrow();
            assertEquals(LensTrajectoryDetector.NAME, a2.getDetector());
            assertEquals(Integer.toString(WARMUP), a2.getAttributes().get("baseline_n"), "restored, not warming up again");
            assertEquals(a1.getThreshold(), a2.getThreshold(), 0.0, "the same threshold as before the restart");
        }
    }
}
