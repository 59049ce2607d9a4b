package io.latentwatch.trainer;

import io.latentwatch.common.ArtifactStore;
import io.latentwatch.common.CorruptArtifactException;

import io.latentwatch.embedded.testing.AbstractKafkaIT;
import io.latentwatch.embedded.testing.KafkaBackend;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.common.dtype.DType;
import io.latentwatch.common.dtype.Float16Codec;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.ExampleLabel;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.schema.SamplingMetadata;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Scheduled refits on a real broker with the real stories260K model: examples in on
 * latentwatch.examples, SaeVersions out on the compacted latentwatch.sae-versions in the Confluent
 * wire format, read back with LatentwatchSerdes as the monitor reads them.
 */
abstract class KafkaRefitContract extends AbstractKafkaIT {
    static final String HOOK = "blocks.1.hook_resid_post";
    static final QualityGates GATES = new QualityGates(0.8, 1, 64, 0.9, 1.0, 0.0, 0.02);
    final LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry("embedded");
    HookedTransformerActivationModel model;
    List<String> stories;
    @TempDir Path tmp;

    KafkaRefitContract(KafkaBackend.Kind kind) {
        super(kind);
    }

    @BeforeAll
    void loadModel() throws Exception {
        Path dir = Stories260kSaeIT.shared().resolve("models/stories260K");
        model = HookedTransformerActivationModel.load(dir.resolve("stories260K.bin"), dir.resolve("tok512.bin"));
        stories = Files.readAllLines(Path.of(getClass().getResource("/stories260K-generated.txt").toURI())).stream()
                .filter(s -> !s.isBlank()).map(KafkaRefitContract::opening).toList();
    }

    /** The first ~240 characters (whole words) of a story: short prompts keep the forward passes cheap on 2 shared cores. */
    static String opening(String story) {
        if (story.length() <= 240) return story;
        int cut = story.lastIndexOf(' ', 240);
        return story.substring(0, cut > 0 ? cut : 240);
    }

    @AfterAll
    void closeModel() {
        if (model != null) model.close();
    }

    Topics topics() {
        Topics t = uniqueTopics();
        try (var admin = admin()) {
            t.create(admin, 1, (short) 1);
        }
        return t;
    }

    void publishExamples(Topics t, List<String> prompts, String modelId) throws Exception {
        try (KafkaProducer<String, LabeledExample> p = new KafkaProducer<>(producerConfig(), new StringSerializer(), serdes.serializer(LabeledExample.class))) {
            for (String s : prompts) {
                p.send(new ProducerRecord<>(t.examples(), "stories", LabeledExample.newBuilder().setPrompt(s).setLabel(ExampleLabel.REFERENCE)
                        .setTask("stories").setSource("test").setModelId(modelId).setTimestampMs(Instant.now()).build()));
            }
            p.flush();
        }
    }

    /** Every record of a topic from the beginning to its current end, values as raw bytes. */
    List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                assertTrue(System.nanoTime() < deadline, "timed out reading " + topic);
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** The SaeVersions on the topic, decoded as the monitor does; each value must be in the Confluent wire format. */
    List<SaeVersion> versions(Topics t) {
        var de = serdes.deserializer(SaeVersion.class);
        List<SaeVersion> out = new ArrayList<>();
        for (var r : readAll(t.saeVersions())) {
            assertEquals(0, r.value()[0], "magic byte 0 (Confluent wire format)");
            SaeVersion v = de.deserialize(r.topic(), r.value());
            assertEquals(v.getModelId() + "|" + v.getHook(), r.key(), "key modelId|hook");
            out.add(v);
        }
        return out;
    }

    SaeTrainJob job(int k, int steps, Supplier<ActivationSource> source) {
        SaeConfig cfg = SaeConfig.topk(model.dModel(), 128, k, HOOK, model.modelId());
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(steps).withBatchSize(128).withLr(3e-3f)
                .withDeadTokens(20_000).withEvalEvery(Math.max(1, steps / 4));
        return SaeTrainJob.of(cfg, opt, source).withBuffers(4096, 4096, 2048).withValidation(0.1, 8192);
    }

    TopicRefit examplesRefit(Topics t, ArtifactStore store, int k, int steps, QualityGates gates, VersionPublisher pub) {
        return new TopicRefit(Map.of("bootstrap.servers", bootstrapServers()), t.examples(), TopicRefit.groupId(model.modelId(), HOOK), 10_000,
                slice -> new ExamplesTopicSource(slice, serdes.deserializer(LabeledExample.class), model, HOOK),
                src -> new SaeRefit(model.modelId(), job(k, steps, src), store, gates, pub));
    }

    @Test
    void refitsFromExamplesPublishOnlyBetterVersionsSurviveACrashAndRefuseCorruptArtifacts() throws Exception {
        Topics t = topics();
        ArtifactStore store = new ArtifactStore(tmp.resolve("artifacts"));
        String id = model.modelId();
        try (KafkaVersionPublisher<SaeVersion> pub = KafkaVersionPublisher.create(producerConfig(), serdes, t)) {
            assertEquals(t.saeVersions(), pub.topic());
            TopicRefit nothing = examplesRefit(t, store, 4, 60, GATES, pub);
            assertFalse(nothing.call().published(), "no examples yet: no refit");

            // 1. First refit: 120 fresh examples (plus 5 for another model, skipped) -> version 1.
            publishExamples(t, stories.subList(0, 120), null);
            publishExamples(t, stories.subList(0, 5), "some-other-model");
            TopicRefit first = examplesRefit(t, store, 4, 60, GATES, pub);
            assertEquals(125, first.pending(10_000));
            SaeRefit.Result r1 = first.call();
            assertTrue(r1.published(), r1.reasons().toString());
            assertEquals("1", r1.version());
            assertEquals(0, first.pending(10_000), "the consumed examples were committed");
            List<SaeVersion> vs = versions(t);
            assertEquals(1, vs.size());
            SaeVersion v1 = vs.get(0);
            assertEquals("1", v1.getVersion());
            assertEquals(id, v1.getModelId());
            assertEquals(HOOK, v1.getHook());
            assertNull(v1.getPreviousVersion());
            assertEquals(model.dModel(), v1.getDIn());
            assertEquals(128, v1.getDSae());
            assertEquals("topk", v1.getArchitecture());
            Path dir1 = ArtifactStore.verify(URI.create(v1.getArtifactUri()), v1.getSha256());
            try (SparseAutoencoder sae = SaeFiles.load(dir1)) {
                assertEquals(HOOK, sae.config().hookName());
            }
            assertEquals(r1.metrics().get("fvu"), v1.getMetrics().get("fvu"));

            // 2. A weaker candidate (k=1, 10 steps) on fresh examples: rejected, nothing published, v1 in force.
            publishExamples(t, stories.subList(120, 240), null);
            SaeRefit.Result r2 = examplesRefit(t, store, 1, 10, GATES, pub).call();
            assertFalse(r2.published());
            assertTrue(r2.reasons().stream().anyMatch(s -> s.contains("does not beat")), r2.reasons().toString());
            assertEquals(1, versions(t).size(), "nothing new on sae-versions");
            assertEquals("1", store.current(id, HOOK).version());

            // 3. A better candidate (k=16, 150 steps): version 2, previousVersion 1.
            publishExamples(t, stories.subList(240, 360), null);
            SaeRefit.Result r3 = examplesRefit(t, store, 16, 150, GATES, pub).call();
            System.out.printf("refits: v1 FVU %.4f L0 %.2f; weak candidate FVU %.4f; v2 FVU %.4f L0 %.2f%n", r1.metrics().get("fvu"),
                    r1.metrics().get("l0"), r2.metrics().get("fvu"), r3.metrics().get("fvu"), r3.metrics().get("l0"));
            assertTrue(r3.published(), r3.reasons().toString());
            vs = versions(t);
            assertEquals(2, vs.size());
            SaeVersion v2 = vs.get(1);
            assertEquals("2", v2.getVersion());
            assertEquals("1", v2.getPreviousVersion());
            assertTrue(v2.getMetrics().get("fvu") < v1.getMetrics().get("fvu"));
            ArtifactStore.verify(URI.create(v2.getArtifactUri()), v2.getSha256());
            assertEquals("2", store.current(id, HOOK).version());

            // 4. A crash after the artifacts were written but before the SaeVersion was sent: v2 stays in force,
            //    the examples stay unconsumed for the next attempt.
            publishExamples(t, stories.subList(0, 60), null);
            VersionPublisher crashing = v -> { throw new IllegalStateException("injected crash before publish of " + v.getVersion()); };
            QualityGates anything = new QualityGates(1.0, 0, 1000, 1.0, 100, -10, 100);
            TopicRefit crash = examplesRefit(t, store, 16, 10, anything, crashing);
            Exception e = assertThrows(IllegalStateException.class, crash::call);
            assertTrue(e.getMessage().contains("injected"), e.getMessage());
            assertTrue(Files.isDirectory(store.root().resolve(id).resolve(HOOK).resolve("3")), "artifacts were written");
            assertEquals("2", store.current(id, HOOK).version());
            assertEquals(2, versions(t).size());
            assertEquals("2", versions(t).get(1).getVersion(), "the latest record for the key is still version 2");
            assertEquals(60, crash.pending(10_000), "offsets not committed after a crash");
            assertEquals("4", store.nextVersion(id, HOOK), "the crashed version's number is not reused");

            // 5. A corrupt artifact is refused by its hash (the monitor's check before loading).
            Path weights = Path.of(URI.create(v2.getArtifactUri())).resolve("sae_weights.safetensors");
            byte[] b = Files.readAllBytes(weights);
            b[b.length - 1] ^= 0x01;
            Files.write(weights, b);
            CorruptArtifactException ce = assertThrows(CorruptArtifactException.class,
                    () -> ArtifactStore.verify(URI.create(v2.getArtifactUri()), v2.getSha256()));
            assertTrue(ce.getMessage().contains("refusing"), ce.getMessage());
            ArtifactStore.verify(URI.create(v1.getArtifactUri()), v1.getSha256());
        }
    }

    @Test
    void boundedSliceTakesAtMostNFairlyAcrossPartitionsAndCommitsOnlyWhenAsked() throws Exception {
        String topic = uniqueTopics().examples();
        try (var admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
        }
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(producerConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 30; i++) p.send(new ProducerRecord<>(topic, i % 3, null, new byte[]{(byte) i}));
            p.flush();
        }
        Map<String, Object> cfg = Map.of("bootstrap.servers", bootstrapServers());
        TopicSlice s = TopicSlice.snapshot(cfg, topic, "g1", 20);
        assertEquals(20, s.offsets());
        s.ranges().values().forEach(r -> assertTrue(r[1] - r[0] >= 6, "fair share"));
        List<Byte> got = new ArrayList<>();
        try (var reader = s.reader()) {
            for (ConsumerRecord<byte[], byte[]> r; (r = reader.next()) != null; ) got.add(r.value()[0]);
        }
        assertEquals(20, got.size());
        assertEquals(30, TopicSlice.pending(cfg, topic, "g1", 1000), "nothing committed yet");
        s.commit();
        assertEquals(10, TopicSlice.pending(cfg, topic, "g1", 1000));
        TopicSlice rest = TopicSlice.snapshot(cfg, topic, "g1", 1000);
        List<Byte> more = new ArrayList<>();
        try (var reader = rest.reader()) {
            for (ConsumerRecord<byte[], byte[]> r; (r = reader.next()) != null; ) more.add(r.value()[0]);
        }
        more.addAll(got);
        assertEquals(30, new HashSet<>(more).size(), "the two slices cover every record once");
        assertEquals(0, TopicSlice.snapshot(cfg, "no-such-topic-" + System.nanoTime(), "g1", 10).offsets());
    }

    @Test
    void hiddenStatesAreDecodedForTheChosenModelAndHookAndTheRestIsSkippedWithReasons() throws Exception {
        Topics t = topics();
        String id = model.modelId();
        int d = model.dModel();
        var ser = serdes.serializer(HiddenStateSample.class);
        List<float[]> expected = new ArrayList<>();
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
            DType[] dtypes = {DType.F16, DType.BF16, DType.F32};
            for (int s = 0; s < 30; s++) {
                var acts = model.run(stories.get(s), HOOK);
                List<Activation> list = new ArrayList<>();
                for (int pos = 0; pos < acts.positions(); pos++) {
                    float[] row = Arrays.copyOfRange(acts.rows(), pos * d, (pos + 1) * d);
                    DType dt = dtypes[(s + pos) % 3];
                    byte[] bytes = Float16Codec.encode(dt, row);
                    list.add(activation(HOOK, pos, dt, List.of(d), bytes));
                    expected.add(Float16Codec.decode(dt, bytes, d));
                }
                list.add(activation("blocks.0.hook_resid_post", 0, DType.F32, List.of(d), new byte[4 * d]));   // other hook
                list.add(activation(HOOK, 0, DType.F32, List.of(d + 1), new byte[4 * (d + 1)]));               // wrong dimension
                list.add(activation(HOOK, 0, DType.F16, List.of(d), new byte[2 * d - 2]));                      // bytes short
                p.send(new ProducerRecord<>(t.hiddenStates(), id, ser.serialize(t.hiddenStates(), sample(id, acts.positions(), list))));
            }
            p.send(new ProducerRecord<>(t.hiddenStates(), "other", ser.serialize(t.hiddenStates(),
                    sample("other-model", 1, List.of(activation(HOOK, 0, DType.F32, List.of(d), new byte[4 * d]))))));
            p.send(new ProducerRecord<>(t.hiddenStates(), id, "not avro".getBytes()));
            p.flush();
        }
        TopicSlice slice = TopicSlice.snapshot(Map.of("bootstrap.servers", bootstrapServers()), t.hiddenStates(), TopicRefit.groupId(id, HOOK), 10_000);
        try (HiddenStatesTopicSource src = new HiddenStatesTopicSource(slice, serdes.deserializer(HiddenStateSample.class), id, HOOK, d)) {
            int i = 0;
            for (ActivationRow r; (r = src.next()) != null; i++) {
                assertArrayEquals(expected.get(i), r.values(), "row " + i);
            }
            assertEquals(expected.size(), i);
            assertEquals(30, src.samples());
            assertEquals(Map.of("other-hook", 30L, "wrong-dimension", 30L, "bad-data", 30L, "other-model", 1L, "undecodable", 1L), src.skipped());
        }
        // And an SAE trains from production traffic and is announced.
        ArtifactStore store = new ArtifactStore(tmp.resolve("hs-artifacts"));
        AtomicInteger reads = new AtomicInteger();
        int steps = (int) Math.ceil(2.5 * expected.size() / 128);      // 2.5 passes over the rows: several epochs
        try (KafkaVersionPublisher<SaeVersion> pub = KafkaVersionPublisher.create(producerConfig(), serdes, t)) {
            Callable<SaeRefit.Result> refit = new TopicRefit(Map.of("bootstrap.servers", bootstrapServers()), t.hiddenStates(),
                    TopicRefit.groupId(id, HOOK), 10_000,
                    s -> { reads.incrementAndGet(); return new HiddenStatesTopicSource(s, serdes.deserializer(HiddenStateSample.class), id, HOOK, d); },
                    src -> new SaeRefit(id, job(8, steps, src), store, GATES, pub));
            SaeRefit.Result r = refit.call();
            assertTrue(r.published(), r.reasons().toString());
            assertTrue(r.metrics().get("train_tokens") > 2.0 * expected.size(), "several epochs: " + r.metrics());
            assertEquals(1, reads.get(), "later epochs come from the spill file, not the topic");
            assertEquals("1", versions(t).get(0).getVersion());
        }
    }

    static Activation activation(String hook, int pos, DType dt, List<Integer> shape, byte[] data) {
        return Activation.newBuilder().setHook(hook).setPosition(pos).setDtype(Dtype.valueOf(dt.name())).setShape(shape)
                .setData(ByteBuffer.wrap(data)).build();
    }

    static HiddenStateSample sample(String modelId, int tokens, List<Activation> acts) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < tokens; i++) ids.add(i + 1);
        return HiddenStateSample.newBuilder().setModelId(modelId).setModelVersion("sha").setNodeId("node-1").setRequestId("r")
                .setTimestampMs(Instant.now()).setTokenIds(ids)
                .setSampling(SamplingMetadata.newBuilder().setSampleRate(1.0).setPositionPolicy("all").build())
                .setActivations(acts).build();
    }
}
