package io.latentwatch.node;

import io.latentwatch.common.BearerToken;
import io.latentwatch.interp.hooks.HookName;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.common.KafkaConfig;
import io.latentwatch.publisher.SampleKey;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.serde.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.latentwatch.serde.TypedTopics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inference node as a service: loads the checkpoint, opens the sample publisher (when sampling is on) and
 * serves {@link NodeHttpServer} until closed. {@code latentwatch node} builds one from its flags. With sampling on, the
 * topics missing on the cluster are created first ({@link TopicSettings#fromEnvironment}).
 */
public final class NodeService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeService.class);
    /**
     * What a node needs.
     *
     * @param sampleRate share of requests sampled; 0 turns sampling off
     * @param hooks      hooks to capture (empty: the model's default hook)
     * @param positions  last, all or random-k
     */
    public record Settings(Path model, Path tokenizer, String modelId, String host, int port, int threads, double sampleRate,
                           List<String> hooks, String positions, int k, boolean tokenText, String nodeId, int queueCapacity,
                           String bootstrapServers, String registry, SampleKey sampleKey, long seed, BearerToken httpToken) {}

    /** Environment variable holding the node's HTTP bearer token (when no --http-token-file is given). */
    public static final String HTTP_TOKEN_ENV = "LATENTWATCH_NODE_HTTP_TOKEN";

    private final HookedTransformer model;
    private final InferenceNode node;
    private final NodeHttpServer server;

    private NodeService(HookedTransformer model, InferenceNode node, NodeHttpServer server) {
        this.model = model;
        this.node = node;
        this.server = server;
    }

    public static NodeService start(Settings s) throws IOException {
        ModelLocator.Located loc = s.model() != null ? new ModelLocator.Located(s.model(), s.tokenizer()) : ModelLocator.locateDefault();
        HookedTransformer m = HookedTransformer.load(loc.model(), s.tokenizer() != null ? s.tokenizer() : loc.tokenizer());
        InferenceNode n = null;
        try {
            String id = s.modelId() != null ? s.modelId() : InferenceNode.modelIdOf(loc.model());
            List<String> hooks = s.hooks() == null || s.hooks().isEmpty() ? List.of(InferenceNode.defaultHook(m))
                    : new ArrayList<>(new LinkedHashSet<>(s.hooks()));
            SamplingPolicy policy = s.sampleRate() <= 0 ? null : policy(s.sampleRate(), hooks, s.positions(), s.k(), s.seed());
            HiddenStatePublisher publisher = null;
            if (policy != null) {
                LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(KafkaConfig.registry(s.registry()));
                Map<String, Object> cfg = KafkaConfig.withEnvironment(
                        HiddenStatePublisher.producerDefaults(KafkaConfig.bootstrapServers(s.bootstrapServers())));
                Topics topics = Topics.fromEnvironment();
                // The node may be the first service up: the topics get latentwatch's settings, not the broker's defaults.
                TopicSettings topicSettings = TopicSettings.fromEnvironment(System.getenv());
                try {
                    List<String> created = topics.createMissing(cfg, topicSettings);
                    if (!created.isEmpty()) LOG.info("created topics {} ({})", created, topicSettings);
                } catch (IllegalStateException e) { // serving goes on; the publisher's queue drops and counts while Kafka is away
                    LOG.warn("could not create the missing topics ({}); serving anyway", e.getMessage());
                }
                publisher = HiddenStatePublisher.create(cfg, TypedTopics.of(topics, serdes).hiddenStates(),
                        s.queueCapacity(), s.sampleKey());
            }
            n = new InferenceNode(m, id, policy, hooks, publisher, new ActivationEncoder(), s.nodeId(), s.tokenText());
            // A blocks.L.attn.hook_z hook feeds the circuit detector: published as per-head outputs at the last position.
            Set<String> hookZ = new LinkedHashSet<>();
            for (String h : hooks) if (HookName.parse(h).filter(x -> x.is("attn.hook_z")).isPresent()) hookZ.add(h);
            if (!hookZ.isEmpty()) n.withCircuitHooks(hookZ);
            return new NodeService(m, n, new NodeHttpServer(n, s.host(), s.port(), s.threads(), s.httpToken()));
        } catch (IOException | RuntimeException e) {
            if (n != null) n.close();
            m.close();
            throw e;
        }
    }

    public static SamplingPolicy policy(double rate, List<String> hooks, String positions, int k, long seed) {
        if (rate > 1) throw new IllegalArgumentException("--sample-rate must be in (0, 1], got " + rate);
        return new SamplingPolicy(rate, new LinkedHashSet<>(hooks), SamplingPolicy.Positions.parse(positions), k, seed);
    }

    public InferenceNode node() { return node; }

    public NodeHttpServer server() { return server; }

    public HookedTransformer model() { return model; }

    /** Stops serving, flushes and closes the publisher, then the model. */
    @Override
    public void close() {
        try {
            server.close();
        } finally {
            try {
                node.close();
            } finally {
                model.close();
            }
        }
    }
}
