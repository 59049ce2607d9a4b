package io.latentwatch.node;

import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.common.KafkaConfig;
import io.latentwatch.publisher.SampleKey;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.serde.TypedTopics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The inference node as a service: loads the checkpoint, opens the sample publisher (when sampling is on) and
 * serves {@link NodeHttpServer} until closed. {@code latentwatch node} builds one from its flags.
 */
public final class NodeService implements AutoCloseable {
    /**
     * What a node needs.
     *
     * @param sampleRate share of requests sampled; 0 turns sampling off
     * @param hooks      hooks to capture (empty: the model's default hook)
     * @param positions  last, all or random-k
     */
    public record Settings(Path model, Path tokenizer, String modelId, String host, int port, int threads, double sampleRate,
                           List<String> hooks, String positions, int k, boolean tokenText, String nodeId, int queueCapacity,
                           String bootstrapServers, String registry, SampleKey sampleKey, long seed) {}

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
                publisher = HiddenStatePublisher.create(cfg, TypedTopics.of(Topics.fromEnvironment(), serdes).hiddenStates(),
                        s.queueCapacity(), s.sampleKey());
            }
            n = new InferenceNode(m, id, policy, hooks, publisher, new ActivationEncoder(), s.nodeId(), s.tokenText());
            return new NodeService(m, n, new NodeHttpServer(n, s.host(), s.port(), s.threads()));
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
