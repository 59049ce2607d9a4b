package io.latentwatch.cli;

import io.latentwatch.common.KafkaConfig;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.trainer.ActivationModel;
import io.latentwatch.trainer.ActivationModelProvider;
import io.latentwatch.common.ArtifactStore;
import io.latentwatch.trainer.KafkaVersionPublisher;
import io.latentwatch.trainer.SaeDirectoryPublisher;
import io.latentwatch.trainer.VersionPublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code latentwatch sae publish DIR}: copies an SAE directory into the artifact store and announces it as a SaeVersion. */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Announces an SAE directory as the version in force: one trained by 'latentwatch train sae', or by SAELens "
                + "(cfg.json + sae_weights.safetensors). The files are copied into the artifact store as the next version of "
                + "model|hook (SHA-256 over the files), the SaeVersion is published to the compacted sae-versions topic, then the "
                + "store's current.json points at it. The monitor needs latentwatch_baseline.json beside the SAE: for a directory "
                + "without one, give --model and --prompts and it is measured here. No quality gate applies.",
                "Environment: LATENTWATCH_BOOTSTRAP_SERVERS, LATENTWATCH_REGISTRY_URL, LATENTWATCH_TOPIC_PREFIX, LATENTWATCH_KAFKA_<PROPERTY>.",
                "Example: latentwatch sae publish out/sae --artifacts /var/lib/latentwatch/artifacts --bootstrap-servers localhost:9092"})
public final class SaePublishCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "SAE directory (cfg.json, sae_weights.safetensors[, latentwatch_baseline.json, ...])")
    Path dir;

    @Option(names = {"--artifacts", "--store"}, required = true, description = "Artifact store shared with the monitors")
    Path artifacts;

    @Option(names = "--model-id", description = "Model the SAE is for (default: cfg.json's model_name)")
    String modelId;

    @Option(names = "--hook", description = "Hook the SAE reads (default: cfg.json's hook_name)")
    String hook;

    @Option(names = "--model", description = "Checkpoint to measure a missing baseline with")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer when not beside the model")
    Path tokenizer;

    @Option(names = "--prompts", description = "Text file, one reference prompt (normal traffic) a line, to measure a missing baseline on")
    Path prompts;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: $LATENTWATCH_BOOTSTRAP_SERVERS, else localhost:9092)")
    String bootstrap;

    @Option(names = "--registry", description = "Schema registry URL (default: $LATENTWATCH_REGISTRY_URL, else http://localhost:8080)")
    String registry;

    private final VersionPublisher publisherOverride;

    public SaePublishCommand() {
        this(null);
    }

    /** For tests: publish through {@code publisher} instead of Kafka. */
    public SaePublishCommand(VersionPublisher publisher) {
        this.publisherOverride = publisher;
    }

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " is not a directory");
        List<String> lines = prompts == null ? List.of() : Files.readAllLines(prompts).stream().filter(l -> !l.isBlank()).toList();
        try (ActivationModel m = model == null ? null : ActivationModelProvider.discover().open(model, tokenizer);
             VersionPublisher versions = publisherOverride != null ? publisherOverride : KafkaVersionPublisher.create(
                     KafkaConfig.withEnvironment(Map.of("bootstrap.servers", bootstrap != null ? bootstrap : KafkaConfig.bootstrapServers("localhost:9092"))),
                     LatentwatchSerdes.forRegistry(registry != null ? registry : KafkaConfig.registry("http://localhost:8080")),
                     Topics.fromEnvironment())) {
            SaeDirectoryPublisher.Published p = new SaeDirectoryPublisher(new ArtifactStore(artifacts), versions)
                    .publish(new SaeDirectoryPublisher.Request(dir, modelId, hook, m, lines));
            var v = p.version();
            System.out.printf("published %s|%s version %s (%s, sha256 %s)%s%n", v.getModelId(), v.getHook(), v.getVersion(),
                    v.getArtifactUri(), v.getSha256(), p.baselineMeasured() ? "; baseline measured on " + lines.size() + " prompts" : "");
        }
        return 0;
    }
}
