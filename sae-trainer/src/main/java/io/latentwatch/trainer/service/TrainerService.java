package io.latentwatch.trainer.service;

import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.serde.TopicSettings;
import io.latentwatch.trainer.ActivationSource;
import io.latentwatch.common.ArtifactStore;
import io.latentwatch.trainer.CircuitRefit;
import io.latentwatch.trainer.ExamplesTopicSource;
import io.latentwatch.trainer.HiddenStatesTopicSource;
import io.latentwatch.trainer.HookedTransformerActivationModel;
import io.latentwatch.trainer.KafkaVersionPublisher;
import io.latentwatch.trainer.RefitScheduler;
import io.latentwatch.trainer.SaeRefit;
import io.latentwatch.trainer.SaeTrainJob;
import io.latentwatch.trainer.TopicRefit;
import io.latentwatch.trainer.VersionPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code latentwatch trainer}: the trainer as a long-lived service. At start it re-announces the versions in force
 * that the compacted sae-versions topic lacks (all of them with {@code reannounce}); then it runs the scheduled SAE
 * refit ({@link TopicRefit} + {@link SaeRefit}: gates, artifacts, SaeVersion) and the scheduled circuit-signature
 * refit ({@link CircuitTopicRefit}), each on its own {@link RefitScheduler}, and answers {@code /health}.
 * {@link #close()} stops the schedulers (a refit in progress is interrupted; the version in force stays) and the
 * producer.
 */
public final class TrainerService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerService.class);
    private final HookedTransformerActivationModel model;
    private final VersionPublisher versions;
    private final List<SaeVersion> reannounced;
    private final Map<String, RefitScheduler> schedulers = new LinkedHashMap<>();
    private final TrainerHealth health;

    private TrainerService(HookedTransformerActivationModel model, VersionPublisher versions, List<SaeVersion> reannounced,
                           TrainerSettings s) throws IOException {
        this.model = model;
        this.versions = versions;
        this.reannounced = reannounced;
        ArtifactStore store = new ArtifactStore(s.artifacts());
        if (s.sae() != null) schedulers.put("sae", saeScheduler(s, store));
        if (s.circuit() != null) schedulers.put("circuit", circuitScheduler(s, store));
        this.health = s.healthPort() < 0 ? null : TrainerHealth.start(s.healthHost(), s.healthPort(), schedulers, reannounced.size());
    }

    /**
     * Creates the topics missing on the cluster (settings from {@code LATENTWATCH_TOPIC_PARTITIONS},
     * {@code _REPLICATION_FACTOR} and {@code LATENTWATCH_EXPLANATIONS_RETENTION}: {@link TopicSettings}), loads the model,
     * re-announces what the topic lacks, starts the schedulers (first check now) and /health.
     */
    public static TrainerService start(TrainerSettings s) throws Exception {
        TopicSettings topicSettings = TopicSettings.fromEnvironment(System.getenv());
        List<String> created = s.topics().createMissing(s.kafka(), topicSettings);
        if (!created.isEmpty()) LOG.info("created topics {} ({})", created, topicSettings);
        HookedTransformerActivationModel m = HookedTransformerActivationModel.load(s.model(), s.tokenizer());
        VersionPublisher versions = null;
        try {
            versions = KafkaVersionPublisher.create(s.kafka(), s.serdes(), s.topics());
            ArtifactStore store = new ArtifactStore(s.artifacts());
            // A trainer killed while writing an artifact leaves its staging directory behind (never in force).
            int stale = store.removeStaleStaging(Duration.ofHours(1));
            if (stale > 0) LOG.info("removed {} staging director(ies) of publishes that died before their rename", stale);
            var live = VersionTopic.liveKeys(s.kafka(), s.topics().saeVersions(), Duration.ofSeconds(60));
            List<SaeVersion> again = Reannouncer.reannounce(store, live, s.reannounce(), versions);
            TrainerService t = new TrainerService(m, versions, again, s);
            t.schedulers.values().forEach(x -> x.start(Duration.ZERO));
            return t;
        } catch (Exception | Error e) {
            if (versions != null) versions.close();
            m.close();
            throw e;
        }
    }

    private RefitScheduler saeScheduler(TrainerSettings s, ArtifactStore store) throws IOException {
        TrainerSettings.SaeSchedule c = s.sae();
        SaeConfig cfg = c.config().forModel(model.dModel(), model.modelId());
        String hook = cfg.hookName();
        Function<Supplier<ActivationSource>, Callable<SaeRefit.Result>> refits = src -> new SaeRefit(model.modelId(), SaeTrainJob.of(cfg, c.options(), src)
                        .withValidation(c.validationShare(), 32_768).withDecoderLogits(model.decoderLogits()), store, c.gates(), versions);
        String group = TopicRefit.groupId(model.modelId(), hook);
        TopicRefit refit = c.source().equals("examples")
                ? new TopicRefit(s.kafka(), s.topics().examples(), group, c.maxRecords(),
                    slice -> new ExamplesTopicSource(slice, s.serdes().deserializer(LabeledExample.class), model, hook), refits)
                : new TopicRefit(s.kafka(), s.topics().hiddenStates(), group, c.maxRecords(),
                    slice -> new HiddenStatesTopicSource(slice, s.serdes().deserializer(HiddenStateSample.class), model.modelId(), hook,
                            model.dModel()), refits);
        refit.withSpillDir(Files.createDirectories(s.artifacts().resolve(".spill")));
        return RefitScheduler.forFreshCount(c.every(), c.minNew(), () -> refit.pending(Math.max(1, c.minNew())), refit);
    }

    private RefitScheduler circuitScheduler(TrainerSettings s, ArtifactStore store) {
        TrainerSettings.CircuitSchedule c = s.circuit();
        CircuitRefit refit = new CircuitRefit(model.model(), model.lock(), store, versions, c.gates());
        CircuitTopicRefit cycle = new CircuitTopicRefit(s.kafka(), s.topics().examples(), s.serdes().deserializer(LabeledExample.class),
                refit, model.modelId(), c.task(), c.layer(), c.minPerLabel(), c.maxRecords(), c.seed());
        return RefitScheduler.forFreshCount(c.every(), 2L * c.minPerLabel(), () -> cycle.pending(2L * c.minPerLabel()), cycle);
    }

    /** The schedulers by name ({@code sae}, {@code circuit}), for "run now" and tests. */
    public Map<String, RefitScheduler> schedulers() { return schedulers; }

    /** What was re-announced at start. */
    public List<SaeVersion> reannounced() { return new ArrayList<>(reannounced); }

    /** The {@code /health} URL, or null without one. */
    public String healthUrl() { return health == null ? null : health.url(); }

    public String modelId() { return model.modelId(); }

    @Override
    public void close() {
        if (health != null) health.close();
        schedulers.values().forEach(RefitScheduler::close);
        try {
            versions.close();
        } finally {
            model.close();
            LOG.info("trainer stopped");
        }
    }
}
