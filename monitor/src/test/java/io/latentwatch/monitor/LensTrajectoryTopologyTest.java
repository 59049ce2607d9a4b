package io.latentwatch.monitor;

import io.latentwatch.interp.lens.LensMath;
import io.latentwatch.interp.lens.TunedLens;
import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.interp.tensor.Tensor;
import io.latentwatch.interp.zoo.FactTable;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.LensTrajectoryDetector;
import io.latentwatch.monitor.detect.LensTrajectoryScorer;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SamplingMetadata;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lens-trajectory detector wired into the topology, fed real zoo-small residuals. */
class LensTrajectoryTopologyTest {
    static final String EARLY = "blocks.0.hook_resid_post", FINAL = "blocks.1.hook_resid_post";

    @TempDir
    Path stateDir;

    static Path repo(String p) { return Files.exists(Path.of("../" + p)) ? Path.of("../" + p) : Path.of(p); }

    private static Activation act(String hook, int pos, float[] v) {
        return Activation.newBuilder().setHook(hook).setPosition(pos).setDtype(Dtype.F32).setShape(List.of(v.length))
                .setData(ByteBuffer.wrap(Float16Codec.encode(DType.F32, v))).build();
    }

    private static HiddenStateSample sample(String model, String id, int[] toks, float[] early, float[] fin) {
        List<Integer> t = new ArrayList<>();
        for (int x : toks) t.add(x);
        int pos = toks.length - 1;
        return HiddenStateSample.newBuilder().setModelId(model).setModelVersion("v").setNodeId("n").setRequestId(id)
                .setTimestampMs(Instant.ofEpochMilli(1_000)).setTokenIds(t)
                .setSampling(SamplingMetadata.newBuilder().setSampleRate(1.0).setPositionPolicy("last").build())
                .setActivations(List.of(act(EARLY, pos, early), act(FINAL, pos, fin))).build();
    }

    @Test
    void normalSamplesWarmUpAndAMismatchedTrajectoryAlerts() throws Exception {
        Topics topics = Topics.defaults();
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Serializer<HiddenStateSample> ser = serdes.serializer(HiddenStateSample.class);
        try (HookedTransformer zoo = HookedTransformer.load(repo("models/zoo-small"), null)) {
            TunedLens lens = TunedLens.load(repo("docs/reports/lens/zoo-small/tuned"), zoo);
            LensTrajectoryScorer scorer = new LensTrajectoryScorer(Map.of("zoo-small", zoo), Map.of("zoo-small", lens));
            MonitorTopology topology = new MonitorTopology(topics, serdes.deserializer(HiddenStateSample.class), serdes.serde(Alert.class),
                    new ActivationNormDetector(1_000_000, 1e9, 1e9), new MonitorMetrics())
                    .withLensTrajectory(scorer, new LensTrajectoryDetector(30, 0.99, 1.5));
            Properties p = new Properties();
            p.put(StreamsConfig.APPLICATION_ID_CONFIG, "lens-trajectory-test");
            p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            try (TopologyTestDriver driver = new TopologyTestDriver(topology.build(), p)) {
                TestInputTopic<String, byte[]> in = driver.createInputTopic(topics.hiddenStates(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
                TestOutputTopic<String, Alert> alerts = driver.createOutputTopic(topics.alerts(), Serdes.String().deserializer(), serdes.deserializer(Alert.class));
                FactTable f = FactTable.get();
                List<String> persons = new ArrayList<>(f.cities().keySet());
                int d = zoo.config().dModel();
                List<float[][]> seen = new ArrayList<>();
                List<int[]> toks = new ArrayList<>();
                for (int s = 0; s < 40; s++) {
                    String person = persons.get(s % persons.size());
                    int[] t = zoo.toTokens(person + (s % 2 == 0 ? " lives in" : " lives in " + f.cityOf(person) + " ."));
                    ForwardResult r = zoo.runWithCache(t, List.of(EARLY, FINAL));
                    Tensor e = r.cache().get(EARLY), fin = r.cache().get(FINAL);
                    float[][] pair = {Arrays.copyOfRange(e.data(), e.size() - d, e.size()), Arrays.copyOfRange(fin.data(), fin.size() - d, fin.size())};
                    seen.add(pair);
                    toks.add(t);
                    in.pipeInput("zoo-small", ser.serialize(topics.hiddenStates(), sample("zoo-small", "normal-" + s, t, pair[0], pair[1])));
                }
                long falseAlarms = alerts.readRecordsToList().size();
                assertTrue(falseAlarms <= 1, "false alarms on 10 post-warm-up normal samples: " + falseAlarms);

                // a sample of a model the monitor has not loaded: skipped and counted
                in.pipeInput("other", ser.serialize(topics.hiddenStates(), sample("other", "o", toks.get(0), seen.get(0)[0], seen.get(0)[1])));
                assertEquals(1, scorer.skipped());
                assertEquals(0, alerts.getQueueSize());

                // mismatched trajectory: the early residual of "X lives in" with the final residual of "... ." (another top token)
                float[][] a = seen.get(0), b = seen.get(1);
                assertTrue(LensMath.argmax(LensTrajectoryScorer.finalLogits(zoo, a[1])) != LensMath.argmax(LensTrajectoryScorer.finalLogits(zoo, b[1])));
                in.pipeInput("zoo-small", ser.serialize(topics.hiddenStates(), sample("zoo-small", "injected", toks.get(1), a[0], b[1])));
                List<Alert> out = alerts.readValuesToList();
                assertEquals(1, out.size(), "the injected pair alerts once");
                Alert al = out.get(0);
                assertEquals(LensTrajectoryDetector.NAME, al.getDetector());
                assertEquals(EARLY, al.getHook());
                assertEquals("injected", al.getRequestId());
                assertEquals("1", al.getAttributes().get("residual_layer"));
                assertTrue(al.getScore() > al.getThreshold(), al.getSummary());
                assertEquals(LensTrajectoryDetector.divergence(LensTrajectoryScorer.finalLogits(zoo, b[1]),
                        LensTrajectoryScorer.earlyLogits(lens, 1, a[0])), al.getScore(), 1e-9);
            }
        }
    }
}
