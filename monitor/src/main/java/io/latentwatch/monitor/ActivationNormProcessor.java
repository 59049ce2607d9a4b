package io.latentwatch.monitor;

import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.WelfordStats;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the activation-norm detector on each activation of a valid sample, with the baseline of
 * its (model, hook) read from and written back to the state store, and forwards an Alert keyed
 * {@code modelId|hook} for each activation that fires.
 */
final class ActivationNormProcessor implements Processor<String, CheckedSample, String, Alert> {
    private final ActivationNormDetector detector;
    private final MonitorMetrics metrics;
    private final String storeName;
    private final SaeRegistry registry; // null without SAEs: the running baseline only
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, WelfordStats> baselines;

    ActivationNormProcessor(ActivationNormDetector detector, MonitorMetrics metrics, String storeName) {
        this(detector, metrics, storeName, null);
    }

    /** With {@code registry}: hooks whose SAE version carries calibrated norm thresholds are scored against those. */
    ActivationNormProcessor(ActivationNormDetector detector, MonitorMetrics metrics, String storeName, SaeRegistry registry) {
        this.registry = registry;
        this.detector = detector;
        this.metrics = metrics;
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        this.context = context;
        this.baselines = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, CheckedSample> record) {
        CheckedSample c = record.value();
        HiddenStateSample s = c.sample();
        List<Activation> acts = s.getActivations();
        for (int i = 0; i < acts.size(); i++) {
            Activation a = acts.get(i);
            String key = s.getModelId() + "|" + a.getHook();
            LoadedSae sae = registry == null ? null : registry.current(s.getModelId(), a.getHook());
            DetectorThresholds t = sae == null ? null : sae.thresholds();
            Double zThr = t == null ? null : t.get(DetectorThresholds.NORM_Z);
            ActivationNormDetector.Verdict v;
            if (zThr != null) {
                // The reference the trainer measured for this version, at the configured false-alarm rate per request.
                v = detector.evaluate(t.get(DetectorThresholds.NORM_MEAN), t.get(DetectorThresholds.NORM_SD), zThr, c.values().get(i));
            } else {
                v = detector.evaluate(baselines.get(key), c.values().get(i));
                baselines.put(key, v.updated());
            }
            if (v.alert()) {
                context.forward(new Record<>(key, alert(s, a, i, v, zThr == null ? null : sae.versionId(), zThr), record.timestamp()));
                metrics.alert(ActivationNormDetector.NAME, s.getModelId(), a.getHook());
            }
        }
        metrics.processed(s.getModelId());
        metrics.latencySeconds((System.nanoTime() - c.startNanos()) / 1e9);
    }

    private Alert alert(HiddenStateSample s, Activation a, int index, ActivationNormDetector.Verdict v, String saeVersion, Double zThr) {
        WelfordStats b = v.baseline();
        String summary = saeVersion != null
                ? String.format(Locale.ROOT, "%s %s: activation norm %.3f is %.1f sd %s the reference mean of SAE version %s at position %d "
                                + "(|z| threshold %.2f, chosen for the version's false-alarm rate per request)", s.getModelId(), a.getHook(),
                        v.norm(), Math.abs(v.z()), v.z() > 0 ? "above" : "below", saeVersion, a.getPosition(), zThr)
                : String.format(Locale.ROOT,
                "%s %s: activation norm %.3f is %.1f sd %s the baseline mean %.3f (sd %.3f, n=%d) at position %d",
                s.getModelId(), a.getHook(), v.norm(), Math.abs(v.z()), v.z() > 0 ? "above" : "below",
                b.mean(), b.stddev(), b.count(), a.getPosition());
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("norm", Alerts.fmt(v.norm()));
        attrs.put("baseline_mean", Alerts.fmt(b.mean()));
        attrs.put("baseline_sd", Alerts.fmt(b.stddev()));
        attrs.put("baseline_n", Long.toString(b.count()));
        if (saeVersion != null) attrs.put("baseline", "sae-version " + saeVersion);
        return Alerts.fromSample(s, a, index, Alerts.source(context.recordMetadata(), s.getRequestId()), ActivationNormDetector.NAME,
                v.severity(), v.z(), zThr != null ? zThr : detector.threshold(), summary, attrs, context.currentSystemTimeMs());
    }
}
