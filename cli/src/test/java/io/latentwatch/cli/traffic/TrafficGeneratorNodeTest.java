package io.latentwatch.cli.traffic;

import io.latentwatch.node.InferenceNode;
import io.latentwatch.node.NodeHttpServer;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The inference node on stories260K: OpenAI response shape, errors, and captured activations checked against a plain forward. */
/** The traffic generator against a real node: every request labelled, every sample tagged with the request's id. */
class TrafficGeneratorNodeTest {
    static HookedTransformer model;

    @BeforeAll
    static void load() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Path dir = null;
        for (String base : new String[]{"../../shared", "../shared"}) {
            if (Files.exists(Path.of(base, "models/stories260K"))) { dir = Path.of(base, "models/stories260K"); break; }
        }
        if (dir == null) throw new IllegalStateException("cannot find shared/models/stories260K");
        model = HookedTransformer.load(dir.resolve("stories260K.bin"), dir.resolve("tok512.bin"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    record Rig(InferenceNode node, MockProducer<String, HiddenStateSample> producer, HiddenStatePublisher publisher) {}

    static Rig rig(SamplingPolicy.Positions positions, int k) {
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        MockProducer<String, HiddenStateSample> p = new MockProducer<>(true, null, new StringSerializer(), serdes.serializer(HiddenStateSample.class));
        HiddenStatePublisher pub = new HiddenStatePublisher(p, "latentwatch.hidden-states", 64);
        String hook = "blocks.1.hook_resid_post";
        SamplingPolicy policy = new SamplingPolicy(1.0, Set.of(hook), positions, k, 3);
        return new Rig(new InferenceNode(model, "stories260K", policy, List.of(hook), pub, new ActivationEncoder(), "test-node", false), p, pub);
    }

    static List<HiddenStateSample> published(Rig r, int n) throws InterruptedException {
        assertTrue(r.publisher().flush(Duration.ofSeconds(10)));
        List<HiddenStateSample> out = r.producer().history().stream().map(ProducerRecord::value).toList();
        assertEquals(n, out.size());
        return out;
    }

    @Test
    void trafficGeneratorLabelsEveryRequestAndTheNodeTagsSamplesWithItsIds() throws Exception {
        Rig r = rig(SamplingPolicy.Positions.LAST, 1);
        try (InferenceNode n0 = r.node(); NodeHttpServer server = new NodeHttpServer(r.node(), "127.0.0.1", 0, 2)) {
            var opts = new TrafficGenerator.Options(URI.create(server.baseUrl()), TrafficGenerator.Scenario.MIXED, 50,
                    Duration.ofSeconds(20), 12, 0.5, 4, 9, 2);
            TrafficGenerator.Report rep = new TrafficGenerator(opts).run(null);
            assertEquals(12, rep.requests().size());
            assertTrue(rep.requests().stream().allMatch(x -> x.status() == 200), rep.summary().toString());
            assertTrue(rep.requests().stream().anyMatch(TrafficGenerator.RequestRecord::injected), rep.summary().toString());
            assertTrue(rep.requests().stream().anyMatch(x -> !x.injected()), rep.summary().toString());
            Set<String> sent = rep.requests().stream().map(TrafficGenerator.RequestRecord::requestId).collect(Collectors.toSet());
            Set<String> sampled = published(r, 12).stream().map(HiddenStateSample::getRequestId).collect(Collectors.toSet());
            assertEquals(sent, sampled);
            assertTrue(published(r, 12).stream().allMatch(s -> "mixed".equals(s.getSampling().getScenario())));
        }
        assertThrows(IllegalArgumentException.class, () -> new TrafficGenerator.Options(URI.create("http://10.1.2.3:8000"),
                TrafficGenerator.Scenario.NORMAL, 1, Duration.ofSeconds(1), 1, 0, 4, 1, 1));
    }
}
