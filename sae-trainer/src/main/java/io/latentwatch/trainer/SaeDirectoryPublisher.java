package io.latentwatch.trainer;

import io.latentwatch.common.ArtifactStore;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeEvaluation;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.schema.SaeVersion;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code sae publish DIR}: announces an SAE directory trained elsewhere ({@code train sae}, or SAELens: cfg.json +
 * sae_weights.safetensors) as the version in force. The directory is copied into the {@link ArtifactStore} (its own
 * version number, SHA-256 over the files), announced as a {@link SaeVersion}, then made current, in the order a refit
 * uses. The monitor needs a latentwatch baseline beside the SAE (latent firing frequencies, reconstruction-error
 * quantiles): a directory without one (SAELens) gets it measured on reference prompts run through the model.
 * No quality gate applies: publishing a directory is the operator's decision.
 */
public final class SaeDirectoryPublisher {
    /**
     * @param modelId   model the SAE is for (null: cfg.json's model_name)
     * @param hook      hook it reads (null: cfg.json's hook_name)
     * @param model     runs the reference prompts when the directory has no baseline (null: the directory must have one)
     * @param prompts   reference prompts (normal traffic) for a measured baseline
     */
    public record Request(Path dir, String modelId, String hook, ActivationModel model, List<String> prompts) {}

    /** What was announced, and whether its baseline was measured here. */
    public record Published(SaeVersion version, boolean baselineMeasured) {}

    private final ArtifactStore store;
    private final VersionPublisher versions;

    public SaeDirectoryPublisher(ArtifactStore store, VersionPublisher versions) {
        this.store = store;
        this.versions = versions;
    }

    public Published publish(Request r) throws Exception {
        SaeConfig cfg = SaeVersions.config(r.dir());
        String modelId = r.modelId() != null ? r.modelId() : cfg.modelName();
        String hook = r.hook() != null ? r.hook() : cfg.hookName();
        if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException(r.dir() + ": cfg.json names no model_name; give --model-id");
        if (hook == null || hook.isBlank()) throw new IllegalArgumentException(r.dir() + ": cfg.json names no hook_name; give --hook");
        Path staging = Files.createTempDirectory(store.root(), ".publish-");
        try {
            copy(r.dir(), staging);
            SaeVersions.stampConfig(staging, modelId, hook);
            Map<String, Double> metrics = SaeVersions.metrics(r.dir());
            boolean measured = false;
            try (SparseAutoencoder sae = SaeFiles.load(staging)) {      // refuses weights that do not match cfg.json
                if (!Files.isRegularFile(staging.resolve(SaeBaseline.FILE))) {
                    if (r.model() == null || r.prompts() == null || r.prompts().isEmpty()) {
                        throw new IllegalArgumentException(r.dir() + " has no " + SaeBaseline.FILE + " (the monitor needs latent "
                                + "frequencies and error quantiles): give --model and --prompts FILE to measure one");
                    }
                    SaeEvaluation ev = measure(sae, r.model(), hook, r.prompts(), staging);
                    if (metrics.isEmpty()) metrics = ev.metrics();
                    measured = true;
                }
            }
            ArtifactStore.Current cur = store.current(modelId, hook);
            String version = store.nextVersion(modelId, hook);
            ArtifactStore.Artifact a = store.publish(staging, modelId, hook, version);
            SaeVersion v = SaeVersions.fromArtifact(modelId, hook, version, a, metrics, cur == null ? null : cur.version());
            versions.publish(v);
            store.promote(modelId, hook, version, a, metrics);
            return new Published(v, measured);
        } finally {
            ArtifactStore.deleteTree(staging);
        }
    }

    /** The baseline of {@code sae} on the prompts' activations at {@code hook} (BOS skipped), written into {@code dir}. */
    private static SaeEvaluation measure(SparseAutoencoder sae, ActivationModel model, String hook, List<String> prompts, Path dir)
            throws IOException {
        if (model.dModel() != sae.config().dIn() && !hook.contains("hook_result")) {
            throw new IllegalArgumentException("the SAE reads d_in " + sae.config().dIn() + " but the model's d_model is " + model.dModel());
        }
        float[] rows = new float[0];
        int n = 0, d = sae.config().dIn();
        int[] positions = new int[0];
        for (String p : prompts) {
            ActivationModel.PromptActivations acts = model.run(p, hook);
            if (acts.dim() != d) throw new IllegalArgumentException("hook " + hook + " has width " + acts.dim() + ", the SAE reads " + d);
            for (int pos = 1; pos < acts.positions(); pos++) {
                if ((n + 1) * d > rows.length) {
                    rows = Arrays.copyOf(rows, Math.max(2 * rows.length, 1024 * d));
                    positions = Arrays.copyOf(positions, rows.length / d);
                }
                System.arraycopy(acts.rows(), pos * d, rows, n * d, d);
                positions[n++] = pos;
            }
        }
        if (n == 0) throw new IllegalArgumentException("the reference prompts gave no token after BOS to measure a baseline on");
        SaeEvaluation ev = SaeEvaluation.of(sae, Arrays.copyOf(rows, n * d), 2048, SaeTrainingOptions.defaults().denseThreshold());
        SaeBaseline.of(ev, Arrays.copyOf(positions, n)).write(dir);
        return ev;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                Path dest = to.resolve(from.relativize(f).toString());
                Files.createDirectories(dest.getParent());
                Files.copy(f, dest);
            }
        }
    }
}
