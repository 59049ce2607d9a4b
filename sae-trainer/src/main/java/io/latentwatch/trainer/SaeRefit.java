package io.latentwatch.trainer;

import io.latentwatch.common.ArtifactStore;

import io.latentwatch.schema.SaeVersion;
import io.latentwatch.interp.sae.SaeConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One refit: train a candidate into a private staging directory, judge it with the quality gates
 * against the version in force, and only if it passes: publish it to the artifact store (atomic,
 * SHA-256), announce the SaeVersion, then mark it current. Any failure before the announcement
 * leaves the current version in force (the staging directory is discarded). Versions are numbered
 * 1, 2, ... per model and hook ({@link ArtifactStore#nextVersion}).
 *
 * <p>If the announcement fails after the artifact was stored (crash, broker down), the stored
 * directory stays but is not current and was never announced; its number is not reused. It is not
 * deleted: a publish that timed out may still have reached the topic, and the monitor must then
 * find the files.
 */
public final class SaeRefit implements Callable<SaeRefit.Result> {
    private final String modelId;
    private final SaeConfig config;
    private final SaeTrainJob job;
    private final ArtifactStore store;
    private final QualityGates gates;
    private final VersionPublisher publisher;

    public record Result(boolean published, String version, List<String> reasons, Map<String, Double> metrics) {}

    public SaeRefit(String modelId, SaeTrainJob job, ArtifactStore store, QualityGates gates, VersionPublisher publisher) {
        this.modelId = modelId;
        this.config = job.config();
        this.job = job;
        this.store = store;
        this.gates = gates;
        this.publisher = publisher;
    }

    @Override
    public Result call() throws Exception {
        Path staging = Files.createTempDirectory(store.root(), ".refit-");
        try {
            SaeTrainJob.Outcome o = job.run(staging);
            ArtifactStore.Current cur = store.current(modelId, config.hookName());
            QualityGates.Decision d = gates.judge(o.metrics(), cur == null ? null : cur.metrics());
            if (!d.accepted()) return new Result(false, null, d.reasons(), o.metrics());
            Instant now = Instant.now();
            String version = store.nextVersion(modelId, config.hookName());
            ArtifactStore.Artifact a = store.publish(staging, modelId, config.hookName(), version);
            SaeVersion v = SaeVersion.newBuilder()
                    .setModelId(modelId).setHook(config.hookName()).setVersion(version)
                    .setArtifactUri(a.uri().toString()).setSha256(a.sha256()).setCreatedMs(now)
                    .setDIn(config.dIn()).setDSae(config.dSae()).setArchitecture(savedArchitecture(o))
                    .setMetrics(o.metrics()).setBaseline(o.baseline().summary())
                    .setThresholds(o.thresholds() == null ? Map.of() : o.thresholds().asMap())
                    .setPreviousVersion(cur == null ? null : cur.version())
                    .build();
            publisher.publish(v);
            store.promote(modelId, config.hookName(), version, a, o.metrics());
            return new Result(true, version, List.of(), o.metrics());
        } finally {
            ArtifactStore.deleteTree(staging);
        }
    }

    /** The saved SAE's architecture in the version record's terms ("relu" for SAELens's "standard"). */
    static String savedArchitecture(SaeTrainJob.Outcome o) {
        String a = o.training().sae().config().architecture();
        return SaeConfig.STANDARD.equals(a) ? "relu" : a;
    }
}
