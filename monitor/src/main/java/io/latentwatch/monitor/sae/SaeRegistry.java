package io.latentwatch.monitor.sae;

import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.sae.LatentLabels;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeFiles;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.SaeVersion;
import io.latentwatch.common.ArtifactStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The SAE versions in force, per {@code modelId|hook}, fed from the compacted sae-versions topic.
 * A new version is verified by SHA-256 ({@link ArtifactStore#verify}) and fully loaded before it
 * replaces the old one in a single map write, so each micro-batch sees one version from start to
 * end ({@link #acquire}). A version that fails verification or loading leaves the old one in force
 * and queues an event that the stream turns into an alert.
 */
public final class SaeRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SaeRegistry.class);

    /** Something the stream should report: a swap, or a refused version. */
    public record Event(String modelId, String hook, String version, boolean rejected, String message, long timeMs) {}

    private final Map<String, LoadedSae> inForce = new ConcurrentHashMap<>();
    private final Queue<Event> events = new ConcurrentLinkedQueue<>();
    /**
     * The last {@value #HISTORY} versions per key, each holding a reference: projections made just
     * before a swap are judged, and explained, with their own dictionary and baseline.
     */
    static final int HISTORY = 2;
    private final Map<String, Deque<LoadedSae>> history = new ConcurrentHashMap<>();
    private final Watchlist watchlist;
    private final Path artifactsRoot;

    /** A registry reading every version from the URI it was announced with. */
    public SaeRegistry(Watchlist watchlist) { this(watchlist, null); }

    /**
     * @param artifactsRoot the artifact store as mounted here ({@code monitor.artifacts.dir}): versions are
     *                      read from {@code root/<model>/<hook>/<version>} when present there ({@link ArtifactStore#locate});
     *                      null: always from the announced URI
     */
    public SaeRegistry(Watchlist watchlist, Path artifactsRoot) {
        this.watchlist = watchlist;
        this.artifactsRoot = artifactsRoot;
    }

    public static String key(String modelId, String hook) { return modelId + "|" + hook; }

    /** Verifies, loads and swaps in {@code v}; true when it is now in force. Never throws. */
    public synchronized boolean apply(SaeVersion v) {
        String key = key(v.getModelId(), v.getHook());
        LoadedSae old = inForce.get(key);
        if (old != null && old.versionId().equals(v.getVersion()) && old.version().getSha256().equalsIgnoreCase(v.getSha256())) {
            return true;
        }
        LoadedSae loaded;
        try {
            URI announced = URI.create(v.getArtifactUri());
            URI uri = artifactsRoot == null ? announced : ArtifactStore.locate(artifactsRoot, v.getModelId(), v.getHook(), v.getVersion(), announced);
            Path dir = ArtifactStore.verify(uri, v.getSha256());
            SparseAutoencoder sae = SaeFiles.load(dir);
            try {
                if (sae.config().dIn() != v.getDIn() || sae.config().dSae() != v.getDSae()) {
                    throw new IllegalArgumentException("the files hold an SAE of d_in " + sae.config().dIn() + ", d_sae "
                            + sae.config().dSae() + " but the version record says " + v.getDIn() + ", " + v.getDSae());
                }
                String arch = sae.config().architecture();
                String recorded = v.getArchitecture();
                // The record names SAELens's "standard" as "relu"; anything else must name the files' architecture.
                if (recorded != null && !recorded.isEmpty() && !recorded.equals(arch) && !("relu".equals(recorded) && SaeConfig.STANDARD.equals(arch))) {
                    throw new IllegalArgumentException("the files hold a " + arch + " SAE but the version record says " + recorded);
                }
                SaeBaseline baseline = SaeBaseline.read(dir);
                if (baseline.firingFrequency().length != sae.config().dSae()) {
                    throw new IllegalArgumentException("baseline covers " + baseline.firingFrequency().length + " latents, SAE has "
                            + sae.config().dSae());
                }
                LatentLabels labels = Files.exists(dir.resolve(LatentLabels.FILE)) ? LatentLabels.read(dir) : null;
                // Thresholds from the verified artifact (with the training-set latent frequencies), else from the record.
                DetectorThresholds thresholds = DetectorThresholds.readIfPresent(dir);
                if (thresholds == null) thresholds = DetectorThresholds.fromMap(v.getThresholds());
                if (thresholds != null && thresholds.latentFrequency() != null && thresholds.latentFrequency().length != sae.config().dSae()) {
                    throw new IllegalArgumentException("thresholds carry frequencies of " + thresholds.latentFrequency().length
                            + " latents, SAE has " + sae.config().dSae());
                }
                loaded = new LoadedSae(v, sae, baseline, labels,
                        watchlist.resolve(v.getModelId(), v.getHook(), sae.config().dSae(), labels), thresholds);
            } catch (Exception e) {
                sae.close();
                throw e;
            }
        } catch (Exception e) {
            String msg = "SAE version " + v.getVersion() + " for " + key + " refused (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + "); " + (old == null ? "no version is in force" : "version " + old.versionId() + " stays in force");
            LOG.warn(msg);
            events.add(new Event(v.getModelId(), v.getHook(), v.getVersion(), true, msg, System.currentTimeMillis()));
            return false;
        }
        loaded.tryAcquire(); // the history's reference
        Deque<LoadedSae> h = history.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (h) {
            h.addFirst(loaded);
            while (h.size() > HISTORY) h.removeLast().release();
        }
        inForce.put(key, loaded);
        if (old != null) old.retire();
        String msg = "SAE version " + v.getVersion() + " for " + key + " in force" + (old == null ? "" : " (was " + old.versionId() + ")");
        LOG.info(msg);
        events.add(new Event(v.getModelId(), v.getHook(), v.getVersion(), false, msg, System.currentTimeMillis()));
        return true;
    }

    /** The version in force, held until {@link LoadedSae#release()}; null when there is none. */
    public LoadedSae acquire(String modelId, String hook) {
        String key = key(modelId, hook);
        while (true) {
            LoadedSae s = inForce.get(key);
            if (s == null) return null;
            if (s.tryAcquire()) return s;
            // retired and closed between get and acquire: the replacement is in the map by now.
        }
    }

    /**
     * The baseline, labels and watchlist of a given version (in force or recently replaced), or null.
     * Not held: only its heap data (never its native weights) may be used.
     */
    public LoadedSae metadata(String modelId, String hook, String version) {
        LoadedSae s = inForce.get(key(modelId, hook));
        if (s != null && s.versionId().equals(version)) return s;
        Deque<LoadedSae> h = history.get(key(modelId, hook));
        if (h == null) return null;
        synchronized (h) {
            for (LoadedSae x : h) if (x.versionId().equals(version)) return x;
        }
        return null;
    }

    /** A given version (in force or kept in the history), held until released; null when gone. */
    public LoadedSae acquire(String modelId, String hook, String version) {
        Deque<LoadedSae> h = history.get(key(modelId, hook));
        if (h == null) return null;
        synchronized (h) {
            for (LoadedSae x : h) if (x.versionId().equals(version)) return x.tryAcquire() ? x : null;
        }
        return null;
    }

    /** The version in force for its heap data (baseline, thresholds; never its native weights), or null. Not held. */
    public LoadedSae current(String modelId, String hook) {
        return inForce.get(key(modelId, hook));
    }

    /** The version id in force, or null (for queries; not held). */
    public SaeVersion versionRecord(String modelId, String hook) {
        LoadedSae s = inForce.get(key(modelId, hook));
        return s == null ? null : s.version();
    }

    public Map<String, SaeVersion> versions() {
        Map<String, SaeVersion> m = new TreeMap<>();
        inForce.forEach((k, v) -> m.put(k, v.version()));
        return m;
    }

    /** Circuit signatures of every version in force for a model. */
    public List<CircuitSignature> circuits(String modelId) {
        List<CircuitSignature> out = new ArrayList<>();
        inForce.forEach((k, v) -> {
            if (v.version().getModelId().equals(modelId)) out.addAll(v.version().getCircuits());
        });
        return out;
    }

    /** Takes the next queued event, or null. Each event is handed out once per registry. */
    public Event pollEvent() { return events.poll(); }

    @Override
    public synchronized void close() {
        inForce.values().forEach(LoadedSae::retire);
        inForce.clear();
        history.values().forEach(h -> { synchronized (h) { h.forEach(LoadedSae::release); h.clear(); } });
    }
}
