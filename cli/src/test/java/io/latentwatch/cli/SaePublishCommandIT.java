package io.latentwatch.cli;

import io.latentwatch.embedded.EmbeddedKafka;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.common.ArtifactStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code train sae} on stories260K, then {@code sae publish} of its directory on a real broker: the SaeVersion on the
 * compacted topic points at a copy in the artifact store whose SHA-256 verifies and whose SAE loads. A SAELens-style
 * directory (cfg.json + weights only) is refused without a baseline, and published with one measured by --model/--prompts.
 */
class SaePublishCommandIT {
    static final String HOOK = "blocks.1.hook_resid_post";
    @TempDir Path tmp;

    static Path stories() {
        for (String base : new String[]{"../../shared", "../shared"}) {
            if (Files.exists(Path.of(base, "models/stories260K"))) return Path.of(base, "models/stories260K");
        }
        throw new IllegalStateException("cannot find shared/models/stories260K");
    }

    @Test
    void publishesATrainedDirectoryAsAVerifiedSaeVersion() throws Exception {
        Path dir = stories();
        Path model = dir.resolve("stories260K.bin"), tok = dir.resolve("tok512.bin");
        Path prompts = tmp.resolve("prompts.txt");
        List<String> lines = new ArrayList<>();
        Random r = new Random(5);
        String[] words = {"Once", "upon", "a", "time", "there", "was", "a", "little", "girl", "named", "Lily", "she", "liked", "to", "play"};
        for (int i = 0; i < 200; i++) {
            StringBuilder b = new StringBuilder();
            for (int w = 0; w < 10; w++) b.append(words[r.nextInt(words.length)]).append(' ');
            lines.add(b.toString().strip());
        }
        Files.write(prompts, lines);
        Path trained = tmp.resolve("trained");
        assertEquals(0, run("train", "sae", "--model", model.toString(), "--tokenizer", tok.toString(), "--hook", HOOK,
                "--prompts", prompts.toString(), "--d-sae", "128", "--k", "8", "--steps", "120", "--batch-size", "128",
                "--ce-prompts", "0", "--out", trained.toString(), "--no-progress"));

        Topics topics = Topics.defaults();
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            try (Admin admin = Admin.create(kafka.clientConfig())) {
                topics.create(admin, 1, (short) 1);
            }
            Path store = tmp.resolve("artifacts");
            String[] common = {"--artifacts", store.toString(), "--bootstrap-servers", kafka.bootstrapServers(), "--registry", "embedded"};
            assertEquals(0, run(concat(new String[]{"sae", "publish", trained.toString()}, common)));
            List<ConsumerRecord<String, byte[]>> recs = versions(kafka, topics, 1);
            SaeVersion v = serdes.deserializer(SaeVersion.class).deserialize(topics.saeVersions(), recs.get(0).value());
            try (SparseAutoencoder trainedSae = SaeFiles.load(trained)) {
                assertEquals(trainedSae.config().modelName() + "|" + HOOK, recs.get(0).key());
                assertEquals(trainedSae.config().dSae(), v.getDSae());
            }
            assertEquals("1", v.getVersion());
            Path copy = ArtifactStore.verify(URI.create(v.getArtifactUri()), v.getSha256());
            assertTrue(copy.startsWith(store), copy + " is in the store");
            assertEquals(SaeBaseline.read(trained).summary(), v.getBaseline());
            assertFalse(v.getMetrics().isEmpty(), "train sae's metrics travel with the version");

            // SAELens layout: only cfg.json and the weights.
            Path saelens = Files.createDirectories(tmp.resolve("saelens"));
            Files.copy(trained.resolve(SaeFiles.CFG), saelens.resolve(SaeFiles.CFG));
            Files.copy(trained.resolve(SaeFiles.WEIGHTS), saelens.resolve(SaeFiles.WEIGHTS));
            assertEquals(2, run(concat(new String[]{"sae", "publish", saelens.toString()}, common)), "refused: no baseline");
            assertEquals(0, run(concat(new String[]{"sae", "publish", saelens.toString(), "--model", model.toString(), "--tokenizer",
                    tok.toString(), "--prompts", prompts.toString()}, common)));
            List<ConsumerRecord<String, byte[]>> all = versions(kafka, topics, 2);
            SaeVersion v2 = serdes.deserializer(SaeVersion.class).deserialize(topics.saeVersions(), all.get(1).value());
            assertEquals("2", v2.getVersion());
            assertEquals("1", v2.getPreviousVersion());
            Path copy2 = ArtifactStore.verify(URI.create(v2.getArtifactUri()), v2.getSha256());
            assertTrue(Files.exists(copy2.resolve(SaeBaseline.FILE)), "baseline measured into the stored copy");
            assertFalse(Files.exists(saelens.resolve(SaeBaseline.FILE)), "the user's directory is left as it was");
            assertTrue(v2.getMetrics().get("fvu") < 1.0, v2.getMetrics().toString());
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int run(String... args) {
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        System.err.print(err);
        return code;
    }

    private static List<ConsumerRecord<String, byte[]>> versions(EmbeddedKafka kafka, Topics topics, int n) {
        Map<String, Object> cfg = new HashMap<>(kafka.clientConfig());
        cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cfg, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topics.saeVersions(), 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < n && System.nanoTime() < deadline) c.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        assertEquals(n, out.size());
        return out;
    }
}
