package io.latentwatch.monitor.sae;

import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.sae.LatentLabels;
import io.latentwatch.interp.sae.SaeBaseline;
import io.latentwatch.interp.sae.SparseAutoencoder;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.schema.SaeVersion;

import java.util.List;
import java.util.Map;

/**
 * One verified SAE version in memory: the dictionary, its baseline, labels and the watchlist
 * resolved against those labels. Reference-counted so that a hot swap never frees native weights
 * while a micro-batch on another stream thread still uses them: the batch acquires, the swap
 * retires, whoever comes last closes.
 */
public final class LoadedSae {
    private final SaeVersion version;
    private final SparseAutoencoder sae;
    private final SaeBaseline baseline;
    private final LatentLabels labels;
    private final Map<Integer, List<Watchlist.Watched>> watched;
    private final DetectorThresholds thresholds;
    private int users;
    private boolean retired;
    private boolean closed;

    LoadedSae(SaeVersion version, SparseAutoencoder sae, SaeBaseline baseline, LatentLabels labels,
              Map<Integer, List<Watchlist.Watched>> watched, DetectorThresholds thresholds) {
        this.version = version;
        this.sae = sae;
        this.baseline = baseline;
        this.labels = labels;
        this.watched = watched;
        this.thresholds = thresholds;
    }

    public SaeVersion version() { return version; }
    public String versionId() { return version.getVersion(); }
    public SparseAutoencoder sae() { return sae; }
    public SaeBaseline baseline() { return baseline; }
    public LatentLabels labels() { return labels; }
    public Map<Integer, List<Watchlist.Watched>> watched() { return watched; }
    /** The detector thresholds the trainer chose for this version (at a false-alarm rate per request), or null: configured ones apply. */
    public DetectorThresholds thresholds() { return thresholds; }
    public int dIn() { return sae.config().dIn(); }
    public int dSae() { return sae.config().dSae(); }

    /** The label of a latent, or null. */
    public String label(int latent) {
        if (labels == null) return null;
        List<LatentLabels.Latent> l = labels.latents();
        if (latent >= 0 && latent < l.size() && l.get(latent).id() == latent) return l.get(latent).label();
        for (LatentLabels.Latent x : l) if (x.id() == latent) return x.label();
        return null;
    }

    synchronized boolean tryAcquire() {
        if (closed) return false;
        users++;
        return true;
    }

    public synchronized void release() {
        users--;
        if (retired && users == 0) closeNow();
    }

    synchronized void retire() {
        retired = true;
        if (users == 0) closeNow();
    }

    private void closeNow() {
        if (!closed) {
            closed = true;
            sae.close();
        }
    }
}
