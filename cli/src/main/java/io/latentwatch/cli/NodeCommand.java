package io.latentwatch.cli;

import io.latentwatch.cli.node.InferenceNode;
import io.latentwatch.cli.node.ModelLocator;
import io.latentwatch.cli.node.NodeHttpServer;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.common.KafkaConfig;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code latentwatch node}: an OpenAI-style completions server on a real checkpoint that publishes sampled hidden states. */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Runs a reference inference node until Ctrl-C: serves OpenAI-style POST /v1/completions (plus GET /v1/models "
                + "and /health) on a real checkpoint and, for the sampled share of requests, captures the chosen hooks at the chosen "
                + "token positions during generation and publishes them as HiddenStateSamples (F16) to Kafka through a bounded, "
                + "non-blocking queue: the HTTP handler never waits on Kafka.",
                "Example: latentwatch node --model models/zoo-small --port 8000 --sample-rate 0.2 --hooks blocks.1.hook_resid_post"})
public final class NodeCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Checkpoint: llama2.c .bin or a Hugging Face directory (default: models/zoo-small, "
            + "else stories260K from ../shared/models or the download cache)")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer (tokenizer.bin or tokenizer.json) when not beside the model")
    Path tokenizer;

    @Option(names = "--model-id", description = "Model id in responses and samples (default: the checkpoint's file or directory name)")
    String modelId;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "HTTP port, 0 = any free port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--threads", defaultValue = "4", description = "HTTP worker threads; generations still run one at a time (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--sample-rate", defaultValue = "1.0", description = "Share of requests whose hidden states are published, in (0, 1]; 0 turns sampling off (default: ${DEFAULT-VALUE})")
    double sampleRate;

    @Option(names = "--hooks", split = ",", description = "Hooks to capture, comma-separated (default: blocks.1.hook_resid_post)")
    List<String> hooks;

    @Option(names = "--positions", defaultValue = "last", description = "Token positions to publish: last, all or random-k (default: ${DEFAULT-VALUE})")
    String positions;

    @Option(names = "--k", defaultValue = "4", description = "Positions per request for random-k (default: ${DEFAULT-VALUE})")
    int k;

    @Option(names = "--token-text", description = "Also publish token strings (off by default: prompts can be personal data)")
    boolean tokenText;

    @Option(names = "--node-id", description = "Node id in samples (default: node-<host name>)")
    String nodeId;

    @Option(names = "--queue-capacity", defaultValue = "1024", description = "Samples waiting for the Kafka sender before new ones are dropped (default: ${DEFAULT-VALUE})")
    int queueCapacity;

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE})")
    String bootstrap;

    @Option(names = "--registry", defaultValue = "http://localhost:8080",
            description = "Schema registry URL (Apicurio) (default: $LATENTWATCH_REGISTRY_URL or ${DEFAULT-VALUE})")
    String registry;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the sampling decisions (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        ModelLocator.Located loc = model != null ? new ModelLocator.Located(model, tokenizer) : ModelLocator.locateDefault();
        try (HookedTransformer m = HookedTransformer.load(loc.model(), tokenizer != null ? tokenizer : loc.tokenizer())) {
            String id = modelId != null ? modelId : InferenceNode.modelIdOf(loc.model());
            List<String> hookList = hooks == null || hooks.isEmpty() ? List.of(InferenceNode.defaultHook(m)) : new ArrayList<>(new LinkedHashSet<>(hooks));
            SamplingPolicy policy = sampleRate <= 0 ? null : policy(sampleRate, hookList, positions, k, seed);
            HiddenStatePublisher publisher = null;
            if (policy != null) {
                LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(KafkaConfig.registry(registry));
                Map<String, Object> cfg = KafkaConfig.withEnvironment(HiddenStatePublisher.producerDefaults(KafkaConfig.bootstrapServers(bootstrap)));
                publisher = HiddenStatePublisher.create(cfg, serdes.serializer(HiddenStateSample.class),
                        Topics.fromEnvironment().hiddenStates(), queueCapacity);
            }
            String node = nodeId != null ? nodeId : "node-" + hostName();
            CountDownLatch stop = new CountDownLatch(1);
            CountDownLatch closed = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop.countDown();
                try { closed.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            }));
            try (InferenceNode n = new InferenceNode(m, id, policy, hookList, publisher, new ActivationEncoder(), node, tokenText);
                 NodeHttpServer server = new NodeHttpServer(n, host, port, threads)) {
                System.out.printf("latentwatch node: %s (%d layers, d_model %d) on %s/v1/completions; sampling %s; Ctrl-C to stop%n",
                        id, m.config().nLayers(), m.config().dModel(), server.baseUrl(), policy == null ? "off" : policy);
                stop.await();
            } finally {
                closed.countDown();
            }
        }
        return 0;
    }

    static SamplingPolicy policy(double rate, List<String> hooks, String positions, int k, long seed) {
        if (rate > 1) throw new IllegalArgumentException("--sample-rate must be in (0, 1], got " + rate);
        return new SamplingPolicy(rate, new LinkedHashSet<>(hooks), SamplingPolicy.Positions.parse(positions), k, seed);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "local";
        }
    }
}
