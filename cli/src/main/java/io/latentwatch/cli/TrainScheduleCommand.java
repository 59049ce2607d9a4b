package io.latentwatch.cli;

import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.common.KafkaConfig;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.serde.LatentwatchSerdes;
import io.latentwatch.serde.Topics;
import io.latentwatch.trainer.ActivationModel;
import io.latentwatch.trainer.ActivationModelProvider;
import io.latentwatch.trainer.ActivationSource;
import io.latentwatch.common.ArtifactStore;
import io.latentwatch.trainer.ExamplesTopicSource;
import io.latentwatch.trainer.HiddenStatesTopicSource;
import io.latentwatch.trainer.KafkaVersionPublisher;
import io.latentwatch.trainer.LabeledExampleFile;
import io.latentwatch.trainer.PromptActivationSource;
import io.latentwatch.trainer.QualityGates;
import io.latentwatch.trainer.RefitScheduler;
import io.latentwatch.trainer.SaeRefit;
import io.latentwatch.trainer.SaeTrainJob;
import io.latentwatch.trainer.TopicRefit;
import io.latentwatch.trainer.VersionPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code latentwatch train schedule}: refits an SAE periodically from fresh data and publishes a new
 * SaeVersion only when the candidate passes the quality gates against the version in force.
 *
 * <p>Sources: {@code examples} (LabeledExamples on latentwatch.examples, prompts run through the
 * model), {@code hidden-states} (sampled production traffic on latentwatch.hidden-states) or a JSONL
 * FILE of LabeledExamples (re-read every tick). For the topics the trainer's consumer group
 * ({@code latentwatch-sae-trainer.<model>.<hook>}) is the cursor: a refit reads what the group has
 * not consumed (at most {@code --max-examples}) and commits it only when the refit completed.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true,
        description = {"Refit an SAE on a schedule from fresh examples; publish a SaeVersion (Confluent wire format, compacted "
                + "latentwatch.sae-versions, key modelId|hook) only when the candidate beats the current one.",
                "Kafka client properties can be overridden with LATENTWATCH_KAFKA_<PROPERTY> environment variables; "
                        + "LATENTWATCH_BOOTSTRAP_SERVERS, LATENTWATCH_REGISTRY_URL and LATENTWATCH_TOPIC_PREFIX are read too."})
public final class TrainScheduleCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainScheduleCommand.class);

    @Option(names = "--model", required = true, description = "Checkpoint: llama2.c .bin or a Hugging Face directory")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer when not beside the model")
    Path tokenizer;

    @Option(names = "--source", description = "examples (the latentwatch.examples topic), hidden-states (the latentwatch.hidden-states "
            + "topic) or a JSONL FILE of LabeledExamples (default: examples with --bootstrap-servers, else --examples)")
    String source;

    @Option(names = "--examples", description = "JSONL file of LabeledExamples (prompt, label, task, source); re-read every tick. Same as --source FILE")
    Path examples;

    @Option(names = "--every", defaultValue = "6h", description = "Period between checks, e.g. 6h, 30m (default: ${DEFAULT-VALUE})")
    String every;

    @Option(names = "--min-new-examples", defaultValue = "100", description = "Refit only when at least this many new examples "
            + "(records, for the topics) arrived since the last refit (default: ${DEFAULT-VALUE})")
    long minNewExamples;

    @Option(names = "--max-examples", defaultValue = "100000", description = "At most this many new records per refit from a topic; "
            + "the rest waits for the next one (default: ${DEFAULT-VALUE})")
    long maxExamples;

    @Option(names = {"--artifacts", "--store"}, required = true, description = "Artifact directory: <model>/<hook>/<version>/ with SHA-256, current.json")
    Path store;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (or LATENTWATCH_BOOTSTRAP_SERVERS); without them "
            + "versions are only printed and only a FILE source works")
    String bootstrap;

    @Option(names = "--registry", description = "Schema registry: embedded (in this JVM only) or the URL of an Apicurio Registry "
            + "(default: LATENTWATCH_REGISTRY_URL, else embedded)")
    String registry;

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
        CliSupport.offline();
        Duration period = RefitScheduler.parseDuration(every);
        String servers = bootstrap != null ? bootstrap : KafkaConfig.bootstrapServers(null);   // a flag wins over the environment
        String kind = source != null ? source : examples != null ? examples.toString() : servers != null ? "examples" : null;
        if (kind == null) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "no data: give --source examples|hidden-states with --bootstrap-servers, or --source FILE / --examples FILE");
        }
        boolean topic = kind.equals("examples") || kind.equals("hidden-states");
        if (topic && servers == null) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--source " + kind + " needs --bootstrap-servers");
        }
        LatentwatchSerdes serdes = LatentwatchSerdes.forRegistry(registry != null ? registry : KafkaConfig.registry(LatentwatchSerdes.EMBEDDED));
        if (servers != null && serdes.isEmbedded()) {
            LOG.warn("schema registry 'embedded' lives in this JVM only: a monitor in another process cannot decode the SaeVersions; "
                    + "give --registry URL");
        }
        Topics topics = Topics.fromEnvironment();
        ActivationModelProvider p = provider != null ? provider : ActivationModelProvider.discover();
        try (ActivationModel m = p.open(model, tokenizer); VersionPublisher pub = publisher(servers, serdes, topics)) {
            SaeConfig cfg = sae.config(m.dModel(), m.modelId());
            ArtifactStore st = new ArtifactStore(store);
            Function<Supplier<ActivationSource>, Callable<SaeRefit.Result>> refits = src -> new SaeRefit(m.modelId(),
                    SaeTrainJob.of(cfg, sae.options(), src).withMethod(sae.method()).withValidation(sae.validationShare, 32_768).withDecoderLogits(m.decoderLogits()),
                    st, QualityGates.defaults(), pub);
            RefitScheduler s;
            if (topic) {
                Map<String, Object> consumer = KafkaConfig.withEnvironment(Map.of("bootstrap.servers", servers));
                String group = TopicRefit.groupId(m.modelId(), cfg.hookName());
                TopicRefit refit = kind.equals("examples")
                        ? new TopicRefit(consumer, topics.examples(), group, maxExamples,
                            slice -> new ExamplesTopicSource(slice, serdes.deserializer(LabeledExample.class), m, cfg.hookName()), refits)
                        : new TopicRefit(consumer, topics.hiddenStates(), group, maxExamples,
                            slice -> new HiddenStatesTopicSource(slice, serdes.deserializer(HiddenStateSample.class), m.modelId(),
                                    cfg.hookName(), m.dModel()), refits);
                s = RefitScheduler.forFreshCount(period, minNewExamples, () -> refit.pending(Math.max(1, minNewExamples)), refit);
            } else {
                Path file = Path.of(kind);
                s = new RefitScheduler(period, minNewExamples, () -> countExamples(file), () -> {
                    List<String> prompts = LabeledExampleFile.read(file).stream().map(LabeledExample::getPrompt).toList();
                    return refits.apply(() -> new PromptActivationSource(m, cfg.hookName(), prompts.iterator(), true, null)).call();
                });
            }
            try (s) {
                if (once) {
                    s.tick();
                    if (s.lastFailure() != null) {
                        System.err.println("refit failed; the current version stays in force: " + s.lastFailure());
                        return 1;
                    }
                    SaeRefit.Result r = s.lastResult();
                    System.out.println(r == null ? "no refit (not enough new examples)"
                            : r.published() ? "published version " + r.version() : "not published: " + r.reasons());
                    return 0;
                }
                s.start(Duration.ZERO);
                new CountDownLatch(1).await();     // until the process is stopped
                return 0;
            }
        }
    }

    private static long countExamples(Path file) {
        try (var lines = Files.lines(file)) {
            return lines.filter(l -> !l.isBlank()).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private VersionPublisher publisher(String servers, LatentwatchSerdes serdes, Topics topics) {
        if (publisherOverride != null) return publisherOverride;
        if (servers == null) return v -> System.out.println("SaeVersion (not published, no --bootstrap-servers): " + v);
        return KafkaVersionPublisher.create(KafkaConfig.withEnvironment(Map.of("bootstrap.servers", servers)), serdes, topics);
    }
}
