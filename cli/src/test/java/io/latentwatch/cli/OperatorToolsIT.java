package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.monitor.audit.HashChain;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.Dtype;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SamplingMetadata;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The operator tools on a persistent broker started by {@code latentwatch kafka --data-dir}: the
 * cluster, its topics and records survive a restart; {@code topics describe} shows latentwatch's
 * topic settings and end offsets; {@code consume --json} prints decoded records, and a dead letter
 * with its headers and raw bytes.
 */
class OperatorToolsIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void persistentBrokerTopicsDescribeAndConsume() throws Exception {
        Topics topics = Topics.withPrefix("ops.");
        Path data = dir.resolve("kafka");
        String clusterId;
        try (RunningKafka k = RunningKafka.start(data)) {
            clusterId = k.clusterId;
            LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry("embedded");
            byte[] sample = serdes.serializer(HiddenStateSample.class).serialize(topics.hiddenStates(), sample());
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", k.bootstrap),
                    new StringSerializer(), new ByteArraySerializer())) {
                p.send(new ProducerRecord<>(topics.hiddenStates(), "m1", sample)).get();
                ProducerRecord<String, byte[]> dead = new ProducerRecord<>(topics.dlq(), "m1", new byte[] {1, 2, 3});
                dead.headers().add("latentwatch.dlq.reason", "not-avro".getBytes(StandardCharsets.UTF_8));
                p.send(dead).get();
            }
        }

        try (RunningKafka k = RunningKafka.start(data)) {
            assertEquals(clusterId, k.clusterId, "the same cluster after a restart");

            // No topic is created by first use (a repartition topic auto-created by a client with the
            // broker's default partition count is what stopped a restarted monitor).
            try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", k.bootstrap, "max.block.ms", 3000),
                    new StringSerializer(), new ByteArraySerializer())) {
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> p.send(new ProducerRecord<>("ops.not-created", "k", new byte[1])).get());
                assertTrue(e.getCause() instanceof TimeoutException, e.toString());
            }

            Run describe = run("topics", "describe", "--bootstrap-servers", k.bootstrap, "--topic-prefix", "ops.");
            assertEquals(0, describe.rc, describe.out);
            assertTrue(describe.out.matches("(?s).*ops\\.sae-versions .*cleanup\\.policy=compact.*"), describe.out);
            assertTrue(describe.out.matches("(?s).*ops\\.explanations .*retention\\.ms=-1.*"), describe.out);
            assertTrue(describe.out.matches("(?s).*ops\\.hidden-states  partitions=2 replication=1 records=1.*"), describe.out);

            Run consume = run("consume", "--bootstrap-servers", k.bootstrap, "--registry", "embedded", "--topic-prefix", "ops.",
                    "--topic", "hidden-states", "--from-beginning", "--timeout", "3s", "--json");
            assertEquals(0, consume.rc, consume.out);
            List<String> lines = consume.out.lines().filter(l -> l.startsWith("{")).toList();
            assertEquals(1, lines.size(), consume.out);
            JsonNode rec = JSON.readTree(lines.get(0));
            assertEquals("io.latentwatch.schema.HiddenStateSample", rec.get("type").asText());
            assertEquals("stories260K", rec.at("/value/modelId").asText());
            assertEquals(Instant.ofEpochMilli(1_763_900_000_123L).toString(), rec.at("/value/timestampMs").asText());
            JsonNode act = rec.at("/value/activations/0");
            assertEquals(8, act.at("/data/bytes").asInt(), act.toString());
            assertEquals(List.of(1.5, -2.0), List.of(act.at("/values/0").asDouble(), act.at("/values/1").asDouble()));

            Run dlq = run("consume", "--bootstrap-servers", k.bootstrap, "--registry", "embedded", "--topic", "ops.dlq",
                    "--from-beginning", "--timeout", "3s", "--json");
            JsonNode dead = JSON.readTree(dlq.out.lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
            assertEquals("not-avro", dead.at("/headers/latentwatch.dlq.reason").asText());
            assertTrue(dead.get("value").isNull());
            assertFalse(dead.get("value_error").asText().isBlank());
            assertEquals("AQID", dead.at("/value_raw/base64").asText());
        }
    }

    @Test
    void auditVerifyReportsAConfiguredRetentionBoundaryAndAGapWithoutOne() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            for (String retention : List.of("P3650D", "forever")) {
                String prefix = "aud" + (retention.equals("forever") ? "f" : "r") + ".";
                Topics topics = Topics.withPrefix(prefix);
                try (Admin admin = Admin.create(kafka.clientConfig())) {
                    topics.create(admin, new TopicSettings(1, (short) 1, TopicSettings.parseRetention(retention)));
                    LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry("embedded");
                    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                            new StringSerializer(), new ByteArraySerializer())) {
                        String prev = null;
                        for (int i = 0; i < 5; i++) {
                            Explanation e = HashChain.link(explanation(i), prev, i);
                            prev = e.getHash();
                            p.send(new ProducerRecord<>(topics.explanations(), 0, "a" + i,
                                    serdes.serializer(Explanation.class).serialize(topics.explanations(), e))).get();
                        }
                    }
                    // What the broker's retention does to the oldest records, done at once.
                    admin.deleteRecords(Map.of(new TopicPartition(topics.explanations(), 0), RecordsToDelete.beforeOffset(2)))
                            .all().get(30, TimeUnit.SECONDS);
                }
                Run audit = run("audit", "verify", "--bootstrap-servers", kafka.bootstrapServers(), "--registry", "embedded",
                        "--topic", topics.explanations(), "--timeout", "30s");
                if (retention.equals("forever")) {
                    assertEquals(1, audit.rc, audit.out);
                    assertTrue(audit.out.contains("gap"), audit.out);
                } else {
                    assertEquals(0, audit.rc, audit.out);
                    assertTrue(audit.out.contains("retention boundary: records before offset 2 (sequences 0..1)"), audit.out);
                }
            }
        }
    }

    private static Explanation explanation(int i) {
        return Explanation.newBuilder().setAlertId("a" + i).setModelId("m").setModelVersion("v").setDetector("recon-error")
                .setScore(i).setThreshold(1).setText("alert " + i).setTimestampMs(Instant.ofEpochMilli(1000 + i)).build();
    }

    private static HiddenStateSample sample() {
        ByteBuffer f32 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2.0f).flip();
        return HiddenStateSample.newBuilder().setModelId("stories260K").setModelVersion("v").setNodeId("n").setRequestId("r")
                .setTimestampMs(Instant.ofEpochMilli(1_763_900_000_123L)).setTokenIds(List.of(1, 2)).setTokenText(null)
                .setSampling(SamplingMetadata.newBuilder().setSampleRate(1.0).setPositionPolicy("last").setTemperature(0.0)
                        .setTopK(null).setTopP(null).setSeed(null).setScenario(null).build())
                .setActivations(List.of(Activation.newBuilder().setHook("blocks.0.hook_resid_post").setPosition(1)
                        .setDtype(Dtype.F32).setShape(List.of(2)).setData(f32).build()))
                .build();
    }

    record Run(int rc, String out) {}

    static Run run(String... args) {
        StringWriter buf = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(buf, true));
        cl.setErr(new PrintWriter(buf, true));
        int rc = cl.execute(args);
        return new Run(rc, buf.toString());
    }

    /** {@code latentwatch kafka --data-dir} in a thread, until closed. */
    static final class RunningKafka implements AutoCloseable {
        final Thread thread;
        final StringWriter buffer;
        final AtomicInteger rc;
        final String bootstrap;
        final String clusterId;

        private RunningKafka(Thread thread, StringWriter buffer, AtomicInteger rc, String bootstrap, String clusterId) {
            this.thread = thread;
            this.buffer = buffer;
            this.rc = rc;
            this.bootstrap = bootstrap;
            this.clusterId = clusterId;
        }

        static RunningKafka start(Path data) throws InterruptedException {
            StringWriter buffer = new StringWriter();
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(buffer, true));
            cl.setErr(new PrintWriter(buffer, true));
            AtomicInteger rc = new AtomicInteger(-1);
            Thread t = new Thread(() -> rc.set(cl.execute("kafka", "--port", "0", "--data-dir", data.toString(),
                    "--topic-prefix", "ops.", "--partitions", "2", "--duration", "5m")));
            t.start();
            Pattern ready = Pattern.compile("Kafka (\\S+) ready(?s).*bootstrap\\.servers=(\\S+)");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && t.isAlive()) {
                Matcher m = ready.matcher(buffer.toString());
                if (m.find() && buffer.toString().contains("Press Ctrl-C") || buffer.toString().contains("Stopping in")) {
                    m = ready.matcher(buffer.toString());
                    assertTrue(m.find());
                    return new RunningKafka(t, buffer, rc, m.group(2), m.group(1));
                }
                Thread.sleep(100);
            }
            t.interrupt();
            throw new AssertionError("latentwatch kafka did not start: " + buffer);
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(thread.isAlive());
            assertNotNull(buffer);
            assertEquals(0, rc.get(), buffer.toString());
        }
    }
}
