package io.latentwatch.serde;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.ExampleLabel;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HeadCode;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.schema.LatentContribution;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.schema.SamplingMetadata;
import io.latentwatch.schema.Severity;
import io.latentwatch.schema.TokenProbability;
import org.apache.avro.specific.SpecificRecord;

/** One fully populated record of every top-level type, with its topic (tests only). */
final class SampleRecords {

    /** A record and the topic it belongs to. */
    record Sample(String topic, Class<? extends SpecificRecord> type, SpecificRecord value) {
    }

    /** Timestamps are timestamp-millis on the wire: sub-millisecond parts would not round-trip. */
    static final Instant T = Instant.ofEpochMilli(1_763_900_000_123L);

    private SampleRecords() {
    }

    static List<Sample> all(Topics topics) {
        return List.of(
                new Sample(topics.hiddenStates(), HiddenStateSample.class, hiddenState()),
                new Sample(topics.examples(), LabeledExample.class, example()),
                new Sample(topics.saeVersions(), SaeVersion.class, saeVersion()),
                new Sample(topics.alerts(), Alert.class, alert()),
                new Sample(topics.explanations(), Explanation.class, explanation()));
    }

    static HiddenStateSample hiddenState() {
        ByteBuffer f16 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        f16.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x0000).putShort((short) 0x7BFF).flip();
        return HiddenStateSample.newBuilder()
                .setModelId("stories260K")
                .setModelVersion("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
                .setNodeId("node-1")
                .setRequestId("req-42")
                .setTimestampMs(T)
                .setTokenIds(List.of(1, 403, 9, 27))
                .setTokenText(null)
                .setSampling(SamplingMetadata.newBuilder().setSampleRate(0.25).setPositionPolicy("last")
                        .setTemperature(0.8).setTopK(40).setTopP(null).setSeed(7L).setScenario("unit-test").build())
                .setActivations(List.of(
                        Activation.newBuilder().setHook("blocks.3.hook_resid_post").setPosition(3)
                                .setDtype(Dtype.F16).setShape(List.of(4)).setData(f16).build(),
                        Activation.newBuilder().setHook("blocks.3.attn.hook_z").setPosition(3)
                                .setDtype(Dtype.F32).setShape(List.of(1, 1))
                                .setData(ByteBuffer.wrap(new byte[] {0, 0, (byte) 0x80, 0x3F})).build()))
                .build();
    }

    /** A two-entry map in a fixed order: Map.of's order changes from JVM to JVM, and the shared vectors hold exact bytes. */
    private static Map<String, Double> ordered(String k1, double v1, String k2, double v2) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    static LabeledExample example() {
        return LabeledExample.newBuilder().setPrompt("When Mary and John went to the store, John gave a drink to")
                .setLabel(ExampleLabel.POSITIVE).setTask("ioi").setSource("unit-test").setModelId("gpt2")
                .setTimestampMs(T).build();
    }

    static SaeVersion saeVersion() {
        return SaeVersion.newBuilder().setModelId("stories260K").setHook("blocks.3.hook_resid_post").setVersion("v3")
                .setArtifactUri("file:///var/latentwatch/saes/stories260K/blocks.3.hook_resid_post/v3")
                .setSha256("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
                .setCreatedMs(T).setDIn(64).setDSae(512).setArchitecture("relu")
                .setMetrics(ordered("fvu", 0.12, "l0", 23.5))
                .setBaseline(Map.of("recon_p99", 0.4))
                .setCircuits(List.of(CircuitSignature.newBuilder().setName("induction")
                        .setHeads(List.of(HeadCode.newBuilder().setLayer(1).setHead(4).setCodes(List.of(17, 93)).setScore(0.91).build()))
                        .setMinMatchedHeads(1).build()))
                .setPreviousVersion("v2").build();
    }

    static Alert alert() {
        return Alert.newBuilder().setAlertId("a-1").setModelId("stories260K").setModelVersion("abc").setHook("blocks.3.hook_resid_post")
                .setDetector("activation-norm").setSeverity(Severity.CRITICAL).setScore(7.5).setThreshold(4.0)
                .setRequestId("req-42").setNodeId("node-1").setPosition(3).setSaeVersion(null)
                .setTimestampMs(T).setSampleTimestampMs(T.minusMillis(5))
                .setSummary("activation norm z=7.5 above 4.0").setAttributes(Map.of("norm", "31.2")).build();
    }

    static Explanation explanation() {
        return Explanation.newBuilder().setAlertId("a-1").setModelId("stories260K").setModelVersion("abc").setSaeVersion("v3")
                .setDetector("activation-norm").setScore(7.5).setThreshold(4.0)
                .setTopLatents(List.of(LatentContribution.newBuilder().setLatent(17).setActivation(3.25).setLabel("numbers").build()))
                .setLogitLensTokens(List.of(TokenProbability.newBuilder().setToken(" Tuesday").setTokenId(311).setProbability(0.6).build()))
                .setTunedLensTokens(List.of())
                .setPatchscopeText("Tuesday").setPatchscopeStatus("done").setCircuitMatches(List.of("succession"))
                .setPromptText(null).setText("Latent 17 (numbers) drove the norm up.").setTimestampMs(T)
                .setPreviousHash(null).setHash("00ff").build();
    }
}
