package io.latentwatch.monitor;

import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.monitor.detect.DriftWindow;
import io.latentwatch.monitor.detect.LatentDriftDetector;
import io.latentwatch.monitor.detect.RareLatentDetector;
import io.latentwatch.monitor.detect.ReconErrorDetector;
import io.latentwatch.monitor.detect.Watchlist;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.schema.Severity;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The SAE-based detectors, on the projections topic keyed {@code modelId|hook} (so every window of
 * a (model, hook) lives in one task): reconstruction error, rare latents and watchlist per
 * projection; latent-frequency drift per tumbling window of {@code monitor.drift.window.samples}
 * projections, counted in a log-structured changelogged store ({@link DriftLog}). Each projection is judged against the baseline of
 * the SAE version that projected it.
 */
final class DetectorProcessor implements Processor<String, LatentProjection, String, Alert> {
    private final SaeRegistry registry;
    private final MonitorMetrics metrics;
    private final String windowStore;
    private final ReconErrorDetector recon;
    private final RareLatentDetector rare;
    private final LatentDriftDetector drift;
    private final int window;
    private ProcessorContext<String, Alert> context;
    private DriftLog windows;

    DetectorProcessor(SaeRegistry registry, MonitorMetrics metrics, MonitorConfig cfg, String windowStore) {
        this.registry = registry;
        this.metrics = metrics;
        this.windowStore = windowStore;
        this.recon = new ReconErrorDetector(cfg.str(MonitorConfig.RECON_QUANTILE), cfg.dbl(MonitorConfig.RECON_MARGIN),
                cfg.dbl(MonitorConfig.RECON_CRITICAL_FACTOR));
        this.rare = new RareLatentDetector(cfg.dbl(MonitorConfig.RARE_EPSILON), cfg.dbl(MonitorConfig.RARE_MIN_ACTIVATION));
        this.drift = new LatentDriftDetector(cfg.dbl(MonitorConfig.DRIFT_FDR));
        this.window = cfg.integer(MonitorConfig.DRIFT_WINDOW);
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        KeyValueStore<String, byte[]> store = context.getStateStore(windowStore);
        this.windows = new DriftLog(store);
    }

    @Override
    public void process(Record<String, LatentProjection> record) {
        LatentProjection p = record.value();
        LoadedSae sae = registry.metadata(p.getModelId(), p.getHook(), p.getSaeVersion());
        if (sae == null) return; // projected by a version this instance never loaded: cannot happen within one registry
        long now = context.currentSystemTimeMs();
        String key = record.key();

        // Reconstruction error against the baseline's quantile at this token position (global when the baseline has no bucket there).
        DetectorThresholds calibrated = sae.thresholds();
        ReconErrorDetector.Threshold t = recon.threshold(sae.baseline(), p.getPosition(), calibrated);
        double threshold = t.value();
        metrics.score(ReconErrorDetector.NAME, p.getReconError());
        if (recon.fires(p.getReconError(), threshold)) {
            emit(Alerts.fromProjection(p, ReconErrorDetector.NAME, "", recon.critical(p.getReconError(), threshold) ? Severity.CRITICAL
                            : Severity.WARNING, p.getReconError(), threshold,
                    String.format(Locale.ROOT, "%s %s: reconstruction error %.4f exceeds the SAE %s baseline %s %.4f (%s) — the input is "
                                    + "unlike the reference data the SAE was fitted on", p.getModelId(), hookAndHead(p), p.getReconError(),
                            p.getSaeVersion(), t.rule(), threshold, t.scope()),
                    Map.of("quantile", t.rule(), "baseline_scope", t.scope()), now), record);
        }

        // Rare or never-seen latents.
        float[] freq = sae.baseline().firingFrequency();
        // The version's own epsilon and training-set frequencies when the trainer calibrated them, else the configured epsilon.
        Double eps = calibrated == null ? null : calibrated.get(DetectorThresholds.RARE_EPSILON);
        float[] rareFreq = eps != null && calibrated.latentFrequency() != null ? calibrated.latentFrequency() : freq;
        double epsilon = eps != null ? eps : rare.epsilon();
        List<RareLatentDetector.Hit> hits = rare.hits(p.getLatents(), p.getValues(), rareFreq, epsilon);
        if (!hits.isEmpty()) {
            double minFreq = hits.stream().mapToDouble(RareLatentDetector.Hit::baselineFrequency).min().orElse(0);
            String which = hits.stream().map(h -> h.latent() + label(sae, h.latent()) + " (" + fmt(h.activation()) + ", baseline "
                    + fmt(h.baselineFrequency()) + ")").collect(Collectors.joining(", "));
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("rare_latents", hits.stream().map(h -> Integer.toString(h.latent())).collect(Collectors.joining(",")));
            emit(Alerts.fromProjection(p, RareLatentDetector.NAME, "", Severity.WARNING, minFreq, epsilon,
                    p.getModelId() + " " + hookAndHead(p) + ": latents rare on the reference data fired: " + which, attrs, now), record);
        }

        // Watchlist.
        for (Watchlist.Hit h : Watchlist.hits(sae.watched(), p.getLatents(), p.getValues())) {
            Watchlist.Entry e = h.watched().entry();
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("watch", e.name());
            attrs.put("latent", Integer.toString(h.watched().latent()));
            emit(Alerts.fromProjection(p, Watchlist.NAME, e.name() + ":" + h.watched().latent(), e.severity(), h.activation(), e.threshold(),
                    String.format(Locale.ROOT, "%s %s: watched latent %d%s ('%s') at %.4f >= %.4f", p.getModelId(), hookAndHead(p),
                            h.watched().latent(), label(sae, h.watched().latent()), e.name(), h.activation(), e.threshold()),
                    attrs, now), record);
        }

        // Drift: one tumbling window per (model, hook) and SAE version.
        DriftLog.Open w = windows.add(key, p.getSaeVersion(), sae.dSae(), p.getLatents());
        if (w.n >= window) {
            LatentDriftDetector.Verdict v = drift.evaluate(w.counts.length == sae.dSae() ? w.counts : Arrays.copyOf(w.counts, sae.dSae()),
                    w.n, freq, sae.baseline().tokens());
            metrics.score(LatentDriftDetector.NAME, v.minAdjustedP());
            if (v.alert()) emit(driftAlert(p, sae, w.index, w.n, v, now), record);
            windows.next(key);
        }
    }

    private Alert driftAlert(LatentProjection p, LoadedSae sae, int windowIndex, int windowN, LatentDriftDetector.Verdict v, long now) {
        List<String> parts = new ArrayList<>();
        for (LatentDriftDetector.Drifted d : v.drifted().subList(0, Math.min(8, v.drifted().size()))) {
            parts.add(String.format(Locale.ROOT, "%d%s %d vs %.1f expected (q=%.2g)", d.latent(), label(sae, d.latent()), d.observed(),
                    d.expected(), d.adjustedP()));
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("window_index", Integer.toString(windowIndex));
        attrs.put("window_samples", Integer.toString(windowN));
        attrs.put("drifted_latents", Integer.toString(v.drifted().size()));
        attrs.put("fdr", fmt(drift.fdr()));
        Alert a = Alerts.fromProjection(p, LatentDriftDetector.NAME, "window-" + windowIndex, v.drifted().size() > 10 ? Severity.CRITICAL
                        : Severity.WARNING, v.minAdjustedP(), drift.fdr(),
                String.format(Locale.ROOT, "%s %s: %d latent(s) fire at frequencies unlike the baseline over the last %d activations "
                                + "(binomial tests, Benjamini-Hochberg FDR %.3g): %s", p.getModelId(), p.getHook(), v.drifted().size(),
                        windowN, drift.fdr(), String.join("; ", parts)), attrs, now);
        // The alert is about the window, not the sample that closed it.
        a.setAlertId(LatentDriftDetector.NAME + ":" + p.getModelId() + "|" + p.getHook() + ":" + p.getSaeVersion() + ":window-" + windowIndex);
        new TopLatents(v.drifted().stream().limit(8).map(d -> new TopLatents.Entry(d.latent(), d.observed())).toList())
                .putInto(a.getAttributes());
        return a;
    }

    private void emit(Alert a, Record<String, LatentProjection> in) {
        context.forward(new Record<>(in.key(), a, in.timestamp()));
        metrics.alert(a.getDetector(), a.getModelId(), a.getHook());
    }

    private static String hookAndHead(LatentProjection p) {
        return p.getHook() + (p.getHead() == null ? "" : " head " + p.getHead());
    }

    private static String label(LoadedSae sae, int latent) {
        String l = sae.label(latent);
        return l == null || l.isBlank() ? "" : " \"" + l + "\"";
    }

    private static String fmt(double d) { return String.format(Locale.ROOT, "%.4g", d); }
}
