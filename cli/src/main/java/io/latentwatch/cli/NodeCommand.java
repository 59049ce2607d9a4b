package io.latentwatch.cli;

import io.latentwatch.common.BearerToken;
import io.latentwatch.node.NodeService;
import io.latentwatch.publisher.SampleKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.net.InetAddress;
import java.util.List;
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

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only; "
            + "0.0.0.0 for every interface, e.g. in a container)")
    String host;

    @Option(names = "--http-token-file", paramLabel = "FILE", description = "File with a bearer token (16+ printable characters) every "
            + "request but /health must carry (Authorization: Bearer <token>; 401 without); default: the token in $"
            + NodeService.HTTP_TOKEN_ENV + "; neither: no authentication")
    Path httpTokenFile;

    @Option(names = "--port", defaultValue = "8000", description = "HTTP port, 0 = any free port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--threads", defaultValue = "4", description = "HTTP worker threads; generations still run one at a time (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--sample-rate", defaultValue = "1.0", description = "Share of requests whose hidden states are published, in (0, 1]; 0 turns sampling off (default: ${DEFAULT-VALUE})")
    double sampleRate;

    @Option(names = "--hooks", split = ",", description = "Hooks to capture, comma-separated; a blocks.L.attn.hook_z hook is published as per-head outputs blocks.L.attn.hook_result at the last position, for the circuit detector (default: blocks.1.hook_resid_post)")
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

    @Option(names = "--sample-key", defaultValue = "model-request", description = "Key of the published samples: model-request "
            + "(modelId|requestId: one model's traffic spreads over every partition and monitor instance; a request's samples stay "
            + "together) or model (all of a model's samples in one partition) (default: ${DEFAULT-VALUE})")
    String sampleKey;

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        NodeService.Settings settings = new NodeService.Settings(model, tokenizer, modelId, host, port, threads, sampleRate, hooks,
                positions, k, tokenText, nodeId != null ? nodeId : "node-" + hostName(), queueCapacity, bootstrap, registry,
                SampleKey.parse(sampleKey), seed,
                BearerToken.resolve(httpTokenFile == null ? null : httpTokenFile.toString(), NodeService.HTTP_TOKEN_ENV, System.getenv()));
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // SIGTERM / Ctrl-C: stop serving, flush the samples in the queue, then let the JVM exit.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try { closed.await(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        }));
        try (NodeService service = NodeService.start(settings)) {
            var m = service.model().config();
            System.out.printf("latentwatch node: %s (%d layers, d_model %d) on %s/v1/completions; sampling %s; Ctrl-C to stop%n",
                    service.node().modelId(), m.nLayers(), m.dModel(), service.server().baseUrl(),
                    service.node().policy() == null ? "off" : service.node().policy());
            stop.await();
        } finally {
            closed.countDown();
        }
        return 0;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "local";
        }
    }
}
