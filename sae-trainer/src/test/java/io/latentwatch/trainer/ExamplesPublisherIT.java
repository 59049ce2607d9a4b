package io.latentwatch.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topic;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code latentwatch examples publish} on a real broker: what goes out on the typed examples topic reads back with it. */
class ExamplesPublisherIT {
    @Test
    void publishedExamplesReadBackKeyedByTaskWithTheTopicsSerdes() throws Exception {
        Topics names = Topics.withPrefix("examples-it.");
        Topic<String, LabeledExample> topic = TypedTopics.of(names, LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED)).examples();
        List<LabeledExample> examples = ExamplesPublisher.reference(List.of("one two three", "four five six", "seven"), "zoo-small", "it");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            try (Admin admin = Admin.create(new HashMap<>(kafka.clientConfig()))) {
                names.create(admin, 1, (short) 1);
            }
            assertEquals(3, ExamplesPublisher.publish(kafka.clientConfig(), topic, examples));
            Map<String, Object> c = new HashMap<>(kafka.clientConfig());
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            List<ConsumerRecord<String, LabeledExample>> got = new ArrayList<>();
            try (KafkaConsumer<String, LabeledExample> consumer = topic.consumer(c)) {
                TopicPartition tp = new TopicPartition(topic.name(), 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (got.size() < examples.size()) {
                    assertTrue(System.nanoTime() < deadline, "only " + got.size() + " of " + examples.size() + " examples read back");
                    consumer.poll(Duration.ofMillis(500)).forEach(got::add);
                }
            }
            assertEquals(examples, got.stream().map(ConsumerRecord::value).toList());
            assertTrue(got.stream().allMatch(r -> r.key().equals("reference")), "key = task");
        }
    }
}
