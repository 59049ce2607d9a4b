package io.latentwatch.cli;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.schema.ExampleLabel;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.common.ArtifactStore;
import org.apache.kafka.clients.admin.Admin;
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
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** {@code train schedule --source examples --once} against the in-process broker (a fake model keeps it quick). */
class TrainScheduleKafkaIT {
    @TempDir Path tmp;

    @Test
    void onceRefitsFromTheExamplesTopicAndPublishesAWireFormatSaeVersion() throws Exception {
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry("embedded");
        Topics topics = Topics.defaults();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                topics.create(admin, 1, (short) 1);
            }
            try (KafkaProducer<String, LabeledExample> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    new StringSerializer(), serdes.serializer(LabeledExample.class))) {
                Random r = new Random(2);
                for (int i = 0; i < 300; i++) {
                    StringBuilder b = new StringBuilder();
                    for (int w = 0; w < 12; w++) b.append("w").append(r.nextInt(300)).append(' ');
                    p.send(new ProducerRecord<>(topics.examples(), "t", LabeledExample.newBuilder().setPrompt(b.toString().strip())
                            .setLabel(ExampleLabel.REFERENCE).setTask("t").setSource("test").build()));
                }
            }
            String[] args = {"--model", "fake.bin", "--hook", "blocks.0.hook_resid_post", "--source", "examples",
                    "--bootstrap-servers", kafka.bootstrapServers(), "--registry", "embedded",
                    "--artifacts", tmp.resolve("artifacts").toString(), "--d-sae", "48", "--k", "2", "--steps", "150", "--batch-size", "128",
                    "--min-new-examples", "100", "--once", "--no-progress"};
            assertEquals("published version 1", run(args));
            List<ConsumerRecord<String, byte[]>> recs = readAll(kafka.bootstrapServers(), topics.saeVersions());
            assertEquals(1, recs.size());
            assertEquals("fake|blocks.0.hook_resid_post", recs.get(0).key());
            SaeVersion v = serdes.deserializer(SaeVersion.class).deserialize(topics.saeVersions(), recs.get(0).value());
            assertEquals("1", v.getVersion());
            ArtifactStore.verify(URI.create(v.getArtifactUri()), v.getSha256());
            // The 300 examples were consumed: the next check finds too few new ones and trains nothing.
            assertEquals("no refit (not enough new examples)", run(args));
            assertEquals(1, readAll(kafka.bootstrapServers(), topics.saeVersions()).size());
        }
    }

    private static String run(String[] args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new TrainScheduleCommand((m, t) -> new TrainSaeCommandTest.FakeModel(), null));
        cl.setErr(new PrintWriter(err));
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        try {
            assertEquals(0, cl.execute(args), err.toString());
        } finally {
            System.setOut(old);
        }
        String[] lines = out.toString().strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(String bootstrap, String topic) {
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) c.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        return out;
    }
}
