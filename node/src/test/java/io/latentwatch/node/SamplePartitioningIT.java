package io.latentwatch.node;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.publisher.SampleKey;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node on a real checkpoint publishing to a real broker with three partitions: one model's samples land on more than
 * one partition (key modelId|requestId), and every sample of a request on one partition, keyed as {@link SampleKey} says.
 */
class SamplePartitioningIT {
    @Test
    void oneModelsSamplesSpreadOverPartitionsAndARequestStaysOnOne() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Path dir = null;
        for (String base : new String[]{"../../shared", "../shared"}) {
            if (Files.exists(Path.of(base, "models/stories260K"))) { dir = Path.of(base, "models/stories260K"); break; }
        }
        if (dir == null) throw new IllegalStateException("cannot find shared/models/stories260K");
        Topics topics = Topics.withPrefix("it-" + UUID.randomUUID().toString().substring(0, 8));
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        String hook = "blocks.1.hook_resid_post";
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             HookedTransformer m = HookedTransformer.load(dir.resolve("stories260K.bin"), dir.resolve("tok512.bin"))) {
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                topics.create(admin, 3, (short) 1);
            }
            HiddenStatePublisher pub = HiddenStatePublisher.create(HiddenStatePublisher.producerDefaults(kafka.bootstrapServers()),
                    serdes.serializer(HiddenStateSample.class), topics.hiddenStates(), 256, SampleKey.MODEL_REQUEST);
            SamplingPolicy policy = new SamplingPolicy(1.0, Set.of(hook), SamplingPolicy.Positions.LAST, 1, 5);
            int requests = 12;
            try (InferenceNode node = new InferenceNode(m, "stories260K", policy, List.of(hook), pub, new ActivationEncoder(), "it-node", false)) {
                for (int i = 0; i < requests; i++) {
                    node.complete(new CompletionRequest(null, List.of("Once upon a time " + i), 1, 0f, 1f, 0, (long) i, List.of(), false),
                            "req-" + i, "normal");
                }
                assertTrue(pub.flush(Duration.ofSeconds(30)));
            }
            Map<String, Object> cfg = new HashMap<>(kafka.clientConfig());
            cfg.put(ConsumerConfig.GROUP_ID_CONFIG, "it-partitions");
            cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cfg, new StringDeserializer(), new ByteArrayDeserializer())) {
                c.subscribe(List.of(topics.hiddenStates()));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (got.size() < requests && System.nanoTime() < deadline) c.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            assertEquals(requests, got.size());
            Set<Integer> partitions = new HashSet<>();
            Map<String, Integer> partitionOfRequest = new HashMap<>();
            var des = serdes.deserializer(HiddenStateSample.class);
            for (ConsumerRecord<String, byte[]> r : got) {
                HiddenStateSample s = des.deserialize(r.topic(), r.value());
                assertEquals("stories260K|" + s.getRequestId(), r.key());
                assertEquals("stories260K", s.getModelId().toString());
                partitions.add(r.partition());
                Integer before = partitionOfRequest.put(s.getRequestId().toString(), r.partition());
                if (before != null) assertEquals(before, r.partition(), "request " + s.getRequestId() + " split over partitions");
            }
            assertTrue(partitions.size() > 1, "one model's samples all landed on partitions " + partitions);
        }
    }
}
