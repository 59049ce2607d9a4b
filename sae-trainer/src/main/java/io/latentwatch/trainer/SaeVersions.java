package io.latentwatch.trainer;

import io.latentwatch.common.ArtifactStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.SaeVersion;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link SaeVersion} record of an SAE directory in the artifact store, built from the directory's own files:
 * {@code cfg.json} (d_in, d_sae, architecture), {@code latentwatch_baseline.json} (the baseline summary) and, for a
 * circuit SAE, {@code signature.avro.json}. This is how a version is re-announced when the compacted topic lost it,
 * and how {@code sae publish} announces a directory trained elsewhere.
 */
public final class SaeVersions {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Training metrics that {@code train sae} writes beside the SAE. */
    public static final String METRICS_FILE = "latentwatch_metrics.json";

    private SaeVersions() {}

    /** The SaeVersion of the stored artifact {@code a} (verified first) for {@code version}. */
    public static SaeVersion fromArtifact(String modelId, String hook, String version, ArtifactStore.Artifact a,
                                          Map<String, Double> metrics, String previousVersion) throws IOException {
        Path dir = ArtifactStore.verify(a.uri(), a.sha256());
        SaeConfig cfg = config(dir);
        return SaeVersion.newBuilder()
                .setModelId(modelId).setHook(hook).setVersion(version)
                .setArtifactUri(a.uri().toString()).setSha256(a.sha256()).setCreatedMs(Instant.now())
                .setDIn(cfg.dIn()).setDSae(cfg.dSae()).setArchitecture(cfg.isTopK() ? "topk" : "relu")
                .setMetrics(metrics).setBaseline(SaeBaseline.read(dir).summary())
                .setThresholds(thresholds(dir))
                .setCircuits(circuits(dir))
                .setPreviousVersion(previousVersion)
                .build();
    }

    /**
     * Writes {@code modelId} and {@code hook} into a staged SAE's cfg.json (model_name, hook_name, hook_layer, in
     * whichever layout it has): the names it is published under, so the stored directory says what it is for (the
     * store re-announces from it, and a SAELens user loading it sees the hook it reads).
     */
    public static void stampConfig(Path dir, String modelId, String hook) throws IOException {
        Path f = dir.resolve(SaeFiles.CFG);
        JsonNode root = JSON.readTree(f.toFile());
        if (!(root instanceof ObjectNode o)) throw new IOException(f + ": expected a JSON object");
        ObjectNode target = o.get("metadata") instanceof ObjectNode m ? m : o.get("meta") instanceof ObjectNode m2 ? m2 : o;
        target.put("model_name", modelId);
        target.put("hook_name", hook);
        if (target.has("hook_point")) target.put("hook_point", hook);
        int layer = SaeConfig.layerOf(hook);
        if (layer >= 0) target.put("hook_layer", layer);
        Files.writeString(f, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    }

    /** The SAE's cfg.json. */
    public static SaeConfig config(Path dir) throws IOException {
        Path f = dir.resolve(SaeFiles.CFG);
        if (!Files.isRegularFile(f)) throw new NoSuchFileException(f + ": not an SAE directory (SAELens cfg.json missing)");
        return SaeConfig.fromJson(Files.readString(f), f.toString());
    }

    /** Metrics written beside the SAE by {@code train sae} ({@value #METRICS_FILE}), or none. */
    public static Map<String, Double> metrics(Path dir) throws IOException {
        Map<String, Double> m = new LinkedHashMap<>();
        Path f = dir.resolve(METRICS_FILE);
        if (!Files.isRegularFile(f)) return m;
        JsonNode o = JSON.readTree(f.toFile());
        o.fields().forEachRemaining(e -> { if (e.getValue().isNumber()) m.put(e.getKey(), e.getValue().asDouble()); });
        return m;
    }

    /** The circuit signatures stored beside a circuit SAE, or none. */
    public static List<CircuitSignature> circuits(Path dir) throws IOException {
        Path f = dir.resolve(CircuitTrainJob.SIGNATURE);
        if (!Files.isRegularFile(f)) return List.of();
        String json = Files.readString(f);
        return List.of(new SpecificDatumReader<>(CircuitSignature.class).read(null,
                DecoderFactory.get().jsonDecoder(CircuitSignature.getClassSchema(), json)));
    }

    /** The thresholds the trainer stored with the artifact (empty for artifacts written before thresholds existed). */
    static Map<String, Double> thresholds(Path dir) throws IOException {
        DetectorThresholds t = DetectorThresholds.readIfPresent(dir);
        return t == null ? Map.of() : t.asMap();
    }
}
