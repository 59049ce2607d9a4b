package io.latentwatch.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.tensor.Tensor;
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
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The inference node on stories260K: OpenAI response shape, errors, and captured activations checked against a plain forward. */
class InferenceNodeTest {
    static final String HOOK = "blocks.1.hook_resid_post";
    static HookedTransformer model;
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static Path shared(String rel) {
        for (String base : new String[]{"../../shared", "../shared"}) {
            Path p = Path.of(base).resolve(rel);
            if (Files.exists(p)) return p;
        }
        throw new IllegalStateException("cannot find shared/" + rel);
    }

    @BeforeAll
    static void load() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        model = HookedTransformer.load(shared("models/stories260K/stories260K.bin"), shared("models/stories260K/tok512.bin"));
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
        SamplingPolicy policy = new SamplingPolicy(1.0, Set.of(HOOK), positions, k, 3);
        return new Rig(new InferenceNode(model, "stories260K", policy, List.of(HOOK), pub, new ActivationEncoder(), "test-node", false), p, pub);
    }

    static List<HiddenStateSample> published(Rig r, int n) throws InterruptedException {
        assertTrue(r.publisher().flush(Duration.ofSeconds(10)));
        List<HiddenStateSample> out = r.producer().history().stream().map(ProducerRecord::value).toList();
        assertEquals(n, out.size());
        return out;
    }

    static HttpResponse<String> post(String base, String body, String requestId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (requestId != null) b.header("X-Request-Id", requestId);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void completionsAnswerInOpenAiShapeAndPublishTheLastPositionAsAPlainForwardComputesIt() throws Exception {
        Rig r = rig(SamplingPolicy.Positions.LAST, 1);
        try (InferenceNode n0 = r.node(); NodeHttpServer server = new NodeHttpServer(r.node(), "127.0.0.1", 0, 2)) {
            HttpResponse<String> resp = post(server.baseUrl(),
                    "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"temperature\":0.8,\"top_p\":0.9,\"seed\":5}", "req-1");
            assertEquals(200, resp.statusCode(), resp.body());
            JsonNode j = JSON.readTree(resp.body());
            assertEquals("cmpl-req-1", j.get("id").asText());
            assertEquals("text_completion", j.get("object").asText());
            assertEquals("stories260K", j.get("model").asText());
            assertTrue(j.get("created").asLong() > 1_700_000_000L);
            JsonNode c = j.get("choices").get(0);
            assertEquals(0, c.get("index").asInt());
            assertFalse(c.get("text").asText().isEmpty(), resp.body());
            assertTrue(Set.of("length", "stop").contains(c.get("finish_reason").asText()));
            int promptTokens = j.get("usage").get("prompt_tokens").asInt();
            int completion = j.get("usage").get("completion_tokens").asInt();
            assertEquals(model.toTokens("Once upon a time").length, promptTokens);
            assertEquals(promptTokens + completion, j.get("usage").get("total_tokens").asInt());

            HiddenStateSample s = published(r, 1).get(0);
            assertEquals("req-1", s.getRequestId());
            assertEquals("stories260K", s.getModelId());
            assertEquals(model.versionHash(), s.getModelVersion());
            assertEquals("last", s.getSampling().getPositionPolicy());
            assertEquals(promptTokens + completion, s.getTokenIds().size());
            assertEquals(1, s.getActivations().size());
            Activation a = s.getActivations().get(0);
            assertEquals(HOOK, a.getHook());
            // The last token with an activation is the one before the final sampled token (never fed back).
            int pos = s.getTokenIds().size() - 2;
            assertEquals(pos, a.getPosition());
            assertEquals(List.of(model.config().dModel()), a.getShape());
            // Reference: a full (non-cached) forward over the same tokens.
            int[] toks = s.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
            Tensor ref = model.runWithCache(toks, List.of(HOOK)).cache().get(HOOK);
            float[] got = ActivationEncoder.decode(a);
            int d = model.config().dModel();
            for (int i = 0; i < d; i++) {
                float want = ref.data()[pos * d + i];
                assertEquals(want, got[i], 2e-3 * Math.max(1, Math.abs(want)), "dim " + i);
            }
        }
    }

    @Test
    void allAndRandomKPublishTheRightPositions() throws Exception {
        Rig all = rig(SamplingPolicy.Positions.ALL, 1);
        try (InferenceNode n1 = all.node()) {
            var c = all.node().complete(new CompletionRequest(null, List.of("The cat"), 6, 0f, 1f, 0, null,
                    List.of(), false), "all-1", null).get(0);
            HiddenStateSample s = published(all, 1).get(0);
            int len = c.promptTokens() + c.completionTokens();
            assertEquals(len - 1, s.getActivations().size());
            for (int i = 0; i < len - 1; i++) assertEquals(i, s.getActivations().get(i).getPosition());
        }
        Rig rk = rig(SamplingPolicy.Positions.RANDOM_K, 3);
        try (InferenceNode n2 = rk.node()) {
            Set<Integer> seen = new HashSet<>();
            for (int n = 0; n < 6; n++) {
                rk.node().complete(new CompletionRequest(null, List.of("Lily and Tom went to the park"), 10, 1f, 1f, 0, (long) n,
                        List.of(), false), "rk-" + n, null);
            }
            for (HiddenStateSample s : published(rk, 6)) {
                List<Integer> pos = s.getActivations().stream().map(Activation::getPosition).collect(Collectors.toList());
                assertEquals(3, pos.size(), pos.toString());
                assertEquals(3, new HashSet<>(pos).size());
                for (int p : pos) assertTrue(p >= 0 && p < s.getTokenIds().size() - 1, pos.toString());
                seen.addAll(pos);
            }
            assertTrue(seen.size() > 4, "random-k positions vary: " + seen);
        }
    }

    /** random-k keeps the same positions for every sampled hook, so two residuals can be compared at one position. */
    @Test
    void randomKSamplesTheSamePositionsOnEveryHook() throws Exception {
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(LatentwatchSerdes.EMBEDDED);
        MockProducer<String, HiddenStateSample> p = new MockProducer<>(true, null, new StringSerializer(), serdes.serializer(HiddenStateSample.class));
        HiddenStatePublisher pub = new HiddenStatePublisher(p, "latentwatch.hidden-states", 64);
        List<String> hooks = List.of("blocks.0.hook_resid_post", HOOK);
        SamplingPolicy policy = new SamplingPolicy(1.0, Set.copyOf(hooks), SamplingPolicy.Positions.RANDOM_K, 3, 3);
        Rig rig = new Rig(new InferenceNode(model, "stories260K", policy, hooks, pub, new ActivationEncoder(), "test-node", false), p, pub);
        try (InferenceNode n = rig.node()) {
            for (int i = 0; i < 5; i++) {
                n.complete(new CompletionRequest(null, List.of("Lily and Tom went to the park"), 10, 1f, 1f, 0, (long) i, List.of(), false), "two-" + i, null);
            }
            Set<Integer> seen = new HashSet<>();
            for (HiddenStateSample s : published(rig, 5)) {
                Map<String, List<Integer>> byHook = s.getActivations().stream().collect(Collectors.groupingBy(Activation::getHook,
                        TreeMap::new, Collectors.mapping(Activation::getPosition, Collectors.toList())));
                assertEquals(Set.copyOf(hooks), byHook.keySet());
                assertEquals(3, byHook.get(HOOK).size());
                assertEquals(byHook.get(HOOK), byHook.get("blocks.0.hook_resid_post"), s.getRequestId());
                seen.addAll(byHook.get(HOOK));
            }
            assertTrue(seen.size() > 4, "random-k positions still vary: " + seen);
        }
    }

    @Test
    void badRequestsGetOpenAiErrorsAndSamplingOffPublishesNothing() throws Exception {
        try (InferenceNode node = new InferenceNode(model, "stories260K", null, List.of(HOOK), null, null, "n", false);
             NodeHttpServer server = new NodeHttpServer(node, "127.0.0.1", 0, 1)) {
            HttpResponse<String> r = post(server.baseUrl(), "{\"prompt\":\"x\",\"temperature\":7}", null);
            assertEquals(400, r.statusCode());
            JsonNode e = JSON.readTree(r.body()).get("error");
            assertEquals("temperature", e.get("param").asText());
            assertEquals("invalid_request_error", e.get("type").asText());
            assertEquals(404, post(server.baseUrl(), "{\"model\":\"gpt-4\",\"prompt\":\"x\"}", null).statusCode());
            assertEquals(400, post(server.baseUrl(), "{not json", null).statusCode());
            HttpResponse<String> ok = post(server.baseUrl(), "{\"prompt\":[\"One day\",\"The dog\"],\"max_tokens\":4,\"temperature\":0}", null);
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals(2, JSON.readTree(ok.body()).get("choices").size());
            assertEquals(0, node.stats().sampled());
            assertEquals(2, node.stats().requests());
        }
    }
}
