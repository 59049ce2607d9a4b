package io.latentwatch.trainer.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.schema.ExampleLabel;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.common.ArtifactStore;
import io.latentwatch.trainer.CircuitRefit;
import io.latentwatch.trainer.QualityGates;
import io.latentwatch.trainer.RefitScheduler;
import io.latentwatch.trainer.SaeRefit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trainer service on a real broker and the zoo-small checkpoint: LabeledExamples on the examples topic feed one
 * scheduled SAE refit and one circuit-signature refit (succession, layer 1), each judged by its gates and published as
 * a verified artifact plus a SaeVersion; a strict gate publishes nothing; a topic that lost its records gets the
 * versions in force re-announced from the store, circuit signature included; /health reports the schedules.
 */
class TrainerServiceIT {
    static final Path ZOO = Path.of("../models/zoo-small");
    static final String HOOK = "blocks.1.hook_resid_post";
    @TempDir Path tmp;

    @Test
    void scheduledSaeAndCircuitRefitsPublishGatedVersionsAndLostVersionsAreReannounced() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        Topics topics = Topics.withPrefix("svc");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Map<String, Object> client = new HashMap<>(kafka.clientConfig());
            try (Admin admin = Admin.create(client)) {
                topics.create(admin, 2, (short) 1);
            }
            publishExamples(client, serdes, topics);
            Path store = tmp.resolve("artifacts");
            TrainerSettings.SaeSchedule sae = new TrainerSettings.SaeSchedule("examples",
                    (d, id) -> SaeConfig.topk(d, 256, 8, HOOK, id), SaeTrainingOptions.defaults().withSteps(150).withBatchSize(128)
                    .withSeed(3).withProgressBar(false), 0.2, new QualityGates(0.9, 1, 64, 0.95, 5, 0, 1), Duration.ofHours(1), 50, 10_000);
            TrainerSettings.CircuitSchedule circuit = new TrainerSettings.CircuitSchedule("succession", 1, CircuitRefit.DEFAULT_GATES,
                    Duration.ofHours(1), 5, 10_000, 42);
            String modelId;
            try (TrainerService t = TrainerService.start(new TrainerSettings(ZOO, null, store, client, serdes, topics, sae, circuit,
                    false, "127.0.0.1", 0))) {
                modelId = t.modelId();
                assertEquals(0, t.reannounced().size(), "nothing in the store yet");
                SaeRefit.Result s = awaitResult(t.schedulers().get("sae"));
                SaeRefit.Result c = awaitResult(t.schedulers().get("circuit"));
                assertTrue(s.published(), "SAE refit: " + s.reasons());
                assertTrue(s.metrics().get("fvu") <= 0.9, "the gate's FVU bound holds: " + s.metrics());
                assertTrue(c.published(), "circuit refit: " + c.reasons());
                HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(t.healthUrl())).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode());
                JsonNode h = new ObjectMapper().readTree(health.body());
                assertEquals("UP", h.path("status").asText());
                assertEquals(1, h.path("schedulers").path("sae").path("runs").asInt(), health.body());
                assertTrue(h.path("schedulers").path("circuit").path("last_published").asBoolean(), health.body());
            }
            Map<String, SaeVersion> published = versions(client, serdes, topics);
            assertEquals(2, published.size(), published.keySet().toString());
            SaeVersion saeV = published.get(modelId + "|" + HOOK);
            SaeVersion circV = published.get(modelId + "|blocks.1.attn.hook_result");
            assertNotNull(saeV, published.keySet().toString());
            assertNotNull(circV, published.keySet().toString());
            assertTrue(saeV.getCircuits().isEmpty());
            assertEquals("succession", circV.getCircuits().get(0).getName());
            assertFalse(circV.getCircuits().get(0).getHeads().isEmpty());
            for (SaeVersion v : published.values()) {
                Path dir = ArtifactStore.verify(URI.create(v.getArtifactUri()), v.getSha256());
                try (SparseAutoencoder a = SaeFiles.load(dir)) {
                    assertEquals(v.getDSae(), a.config().dSae());
                }
            }

            // A strict gate: the candidate is trained, judged, and nothing is published; the version in force stays.
            publishExamples(client, serdes, topics);
            TrainerSettings.SaeSchedule strict = new TrainerSettings.SaeSchedule("examples", sae.config(), sae.options().withSteps(40), 0.2,
                    new QualityGates(1e-9, 1, 64, 0.95, 5, 0, 1), Duration.ofHours(1), 50, 10_000);
            try (TrainerService t = TrainerService.start(new TrainerSettings(ZOO, null, store, client, serdes, topics, strict, null,
                    false, "127.0.0.1", -1))) {
                SaeRefit.Result r = awaitResult(t.schedulers().get("sae"));
                assertFalse(r.published());
                assertTrue(r.reasons().get(0).contains("FVU"), r.reasons().toString());
            }
            assertEquals(saeV.getVersion(), versions(client, serdes, topics).get(modelId + "|" + HOOK).getVersion());
            assertEquals(saeV.getVersion(), new ArtifactStore(store).current(modelId, HOOK).version());

            // The topic lost its records (a new, empty sae-versions topic): the versions in force are re-announced at start.
            Topics fresh = Topics.withPrefix("svc2");
            try (Admin admin = Admin.create(client)) {
                fresh.create(admin, 2, (short) 1);
            }
            try (TrainerService t = TrainerService.start(new TrainerSettings(ZOO, null, store, client, serdes, fresh, null, null,
                    false, "127.0.0.1", -1))) {
                assertEquals(2, t.reannounced().size());
            }
            Map<String, SaeVersion> again = versions(client, serdes, fresh);
            assertEquals(saeV.getSha256(), again.get(modelId + "|" + HOOK).getSha256());
            assertEquals(saeV.getVersion(), again.get(modelId + "|" + HOOK).getVersion());
            assertEquals(circV.getCircuits(), again.get(modelId + "|blocks.1.attn.hook_result").getCircuits());
            assertEquals(saeV.getBaseline(), again.get(modelId + "|" + HOOK).getBaseline());
            // Nothing lost this time: a second start re-announces nothing (unless forced).
            try (TrainerService t = TrainerService.start(new TrainerSettings(ZOO, null, store, client, serdes, fresh, null, null,
                    false, "127.0.0.1", -1))) {
                assertEquals(0, t.reannounced().size());
            }
        }
    }

    private static SaeRefit.Result awaitResult(RefitScheduler s) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (s.lastResult() == null && s.lastFailure() == null && System.nanoTime() < deadline) Thread.sleep(100);
        if (s.lastFailure() != null) throw new AssertionError("refit failed", s.lastFailure());
        assertNotNull(s.lastResult(), "no refit within 120 s");
        return s.lastResult();
    }

    /** Reference prompts (number runs, like the zoo's corpus) and succession's positive and negative examples. */
    private static void publishExamples(Map<String, Object> client, LatentwatchSerdes serdes, Topics topics) throws Exception {
        CircuitRefit.Spec task = CircuitRefit.fromCircuitsJson(ZOO.resolve("circuits.json"), "zoo-small", "succession", 1, List.of(), 0);
        List<LabeledExample> out = new ArrayList<>();
        Random r = new Random(7);
        for (int i = 0; i < 80; i++) {
            int a = r.nextInt(90);
            out.add(example("the value " + a + " then " + (a + 3) + " and " + r.nextInt(99), ExampleLabel.REFERENCE, "reference"));
        }
        task.positives().forEach(p -> out.add(example(p, ExampleLabel.POSITIVE, "succession")));
        task.negatives().forEach(p -> out.add(example(p, ExampleLabel.NEGATIVE, "succession")));
        try (KafkaProducer<String, LabeledExample> p = new KafkaProducer<>(client, new StringSerializer(),
                serdes.serializer(LabeledExample.class))) {
            for (LabeledExample e : out) p.send(new ProducerRecord<>(topics.examples(), e.getTask(), e)).get();
        }
    }

    private static LabeledExample example(String prompt, ExampleLabel label, String task) {
        return LabeledExample.newBuilder().setPrompt(prompt).setLabel(label).setTask(task).setSource("TrainerServiceIT").build();
    }

    /** The live records of the sae-versions topic by key. */
    static Map<String, SaeVersion> versions(Map<String, Object> client, LatentwatchSerdes serdes, Topics topics) {
        Map<String, Object> cfg = new HashMap<>(client);
        cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, SaeVersion> out = new HashMap<>();
        var des = serdes.deserializer(SaeVersion.class);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cfg, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = c.partitionsFor(topics.saeVersions()).stream()
                    .map(pi -> new TopicPartition(pi.topic(), pi.partition())).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            var end = c.endOffsets(tps);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> rec : c.poll(Duration.ofMillis(200))) out.put(rec.key(), des.deserialize(rec.topic(), rec.value()));
            }
        }
        return out;
    }
}
