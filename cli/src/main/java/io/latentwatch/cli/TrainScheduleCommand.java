package io.latentwatch.cli;

import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.trainer.ActivationModel;
import io.latentwatch.trainer.ActivationModelProvider;
import io.latentwatch.trainer.ArtifactStore;
import io.latentwatch.trainer.KafkaVersionPublisher;
import io.latentwatch.trainer.LabeledExampleFile;
import io.latentwatch.trainer.PromptActivationSource;
import io.latentwatch.trainer.QualityGates;
import io.latentwatch.trainer.RefitScheduler;
import io.latentwatch.trainer.SaeRefit;
import io.latentwatch.trainer.SaeTrainJob;
import io.latentwatch.trainer.VersionPublisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code latentwatch train schedule}: refits the SAE periodically from a JSONL file of
 * LabeledExamples (re-read at every tick), publishing a new SaeVersion only when the candidate passes
 * the quality gates against the version in force.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = {"Refit an SAE on a schedule from fresh examples; publish a SaeVersion only when the candidate beats the current one."})
public final class TrainScheduleCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Checkpoint: llama2.c .bin or a Hugging Face directory")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer when not beside the model")
    Path tokenizer;

    @Option(names = "--examples", required = true, description = "JSONL file of LabeledExamples (prompt, label, task, source); re-read every tick")
    Path examples;

    @Option(names = "--every", defaultValue = "6h", description = "Period between checks, e.g. 6h, 30m (default: ${DEFAULT-VALUE})")
    String every;

    @Option(names = "--min-new-examples", defaultValue = "100", description = "Refit only when at least this many new examples arrived (default: ${DEFAULT-VALUE})")
    long minNewExamples;

    @Option(names = "--store", required = true, description = "Artifact store directory")
    Path store;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers; without it versions are only logged")
    String bootstrap;

    @Option(names = "--once", description = "Run one check now and exit (for cron or tests)")
    boolean once;

    @Mixin
    SaeTrainingMixin sae = new SaeTrainingMixin();

    private final ActivationModelProvider provider;
    private final VersionPublisher publisherOverride;

    public TrainScheduleCommand() {
        this(null, null);
    }

    public TrainScheduleCommand(ActivationModelProvider provider, VersionPublisher publisher) {
        this.provider = provider;
        this.publisherOverride = publisher;
    }

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Duration period = RefitScheduler.parseDuration(every);
        ActivationModelProvider p = provider != null ? provider : ActivationModelProvider.discover();
        try (ActivationModel m = p.open(model, tokenizer); VersionPublisher pub = publisher()) {
            SaeConfig cfg = sae.config(m.dModel(), m.modelId());
            ArtifactStore st = new ArtifactStore(store);
            RefitScheduler s = new RefitScheduler(period, minNewExamples, this::countExamples, () -> {
                List<String> prompts = LabeledExampleFile.read(examples).stream().map(LabeledExample::getPrompt).toList();
                SaeTrainJob job = SaeTrainJob.of(cfg, sae.options(), () -> new PromptActivationSource(m, cfg.hookName(),
                        prompts.iterator(), true, null)).withValidation(sae.validationShare, 32_768).withLogitLens(m.logitLens());
                return new SaeRefit(m.modelId(), job, st, QualityGates.defaults(), pub).call();
            });
            try (s) {
                if (once) {
                    s.tick();
                    SaeRefit.Result r = s.lastResult();
                    System.out.println(r == null ? "no refit (not enough new examples)"
                            : r.published() ? "published " + r.version() : "rejected: " + r.reasons());
                    return 0;
                }
                s.start(Duration.ZERO);
                new CountDownLatch(1).await();     // until the process is stopped
                return 0;
            }
        }
    }

    private long countExamples() {
        try (var lines = Files.lines(examples)) {
            return lines.filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private VersionPublisher publisher() {
        if (publisherOverride != null) return publisherOverride;
        if (bootstrap == null) return v -> System.out.println("SaeVersion (not published, no --bootstrap-servers): " + v);
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        return KafkaVersionPublisher.avroBinary(props);
    }
}
