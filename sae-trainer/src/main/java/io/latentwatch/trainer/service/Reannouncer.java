package io.latentwatch.trainer.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.common.ArtifactStore;
import io.latentwatch.trainer.SaeVersions;
import io.latentwatch.trainer.VersionPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Re-announces the versions in force of the artifact store ({@code <model>/<hook>/current.json}) on the sae-versions
 * topic: those whose key has no live record there (a topic that was deleted, or a compaction mishap), or every one
 * when forced. The record is rebuilt from the stored files ({@link SaeVersions#fromArtifact}), after the SHA-256 check.
 * Model id and hook come from the artifact's cfg.json (model_name, hook_name), as the refit wrote them.
 */
public final class Reannouncer {
    private static final Logger LOG = LoggerFactory.getLogger(Reannouncer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One version in force found in the store. */
    public record InForce(String modelId, String hook, ArtifactStore.Current current) {
        public String key() { return modelId + "|" + hook; }
    }

    private Reannouncer() {}

    /** Every version in force in the store. */
    public static List<InForce> inForce(ArtifactStore store) throws IOException {
        List<InForce> out = new ArrayList<>();
        try (Stream<Path> s = Files.find(store.root(), 3, (p, a) -> a.isRegularFile() && p.getFileName().toString().equals("current.json"))) {
            for (Path f : s.sorted().toList()) {
                Path hookDir = f.getParent();
                // current.json names the version directory; its cfg.json names model and hook as they were published.
                String version = JSON.readTree(f.toFile()).path("version").asText();
                SaeConfig cfg = SaeVersions.config(hookDir.resolve(version));
                ArtifactStore.Current cur = store.current(cfg.modelName(), cfg.hookName());
                if (cur != null) out.add(new InForce(cfg.modelName(), cfg.hookName(), cur));
            }
        }
        return out;
    }

    /**
     * Publishes the versions in force whose key is not in {@code live} (all of them when {@code force}).
     *
     * @return the re-announced records
     */
    public static List<SaeVersion> reannounce(ArtifactStore store, Set<String> live, boolean force, VersionPublisher versions) throws Exception {
        List<SaeVersion> done = new ArrayList<>();
        for (InForce f : inForce(store)) {
            if (!force && live.contains(f.key())) continue;
            ArtifactStore.Current c = f.current();
            SaeVersion v = SaeVersions.fromArtifact(f.modelId(), f.hook(), c.version(),
                    new ArtifactStore.Artifact(c.uri(), c.sha256(), Path.of(c.uri())), c.metrics(), null);
            versions.publish(v);
            LOG.info("re-announced {} version {} ({})", f.key(), c.version(), force ? "forced" : "the topic had no record for it");
            done.add(v);
        }
        return done;
    }
}
