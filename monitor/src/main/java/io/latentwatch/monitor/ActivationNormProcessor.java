package io.latentwatch.monitor;

import io.latentwatch.monitor.detect.ActivationNormDetector;
import io.latentwatch.monitor.detect.WelfordStats;
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
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, WelfordStats> baselines;

    ActivationNormProcessor(ActivationNormDetector detector, MonitorMetrics metrics, String storeName) {
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
            ActivationNormDetector.Verdict v = detector.evaluate(baselines.get(key), c.values().get(i));
            baselines.put(key, v.updated());
            if (v.alert()) {
                context.forward(new Record<>(key, alert(s, a, i, v), record.timestamp()));
                metrics.alert(ActivationNormDetector.NAME, s.getModelId(), a.getHook());
            }
        }
        metrics.processed(s.getModelId());
        metrics.latencySeconds((System.nanoTime() - c.startNanos()) / 1e9);
    }

    private Alert alert(HiddenStateSample s, Activation a, int index, ActivationNormDetector.Verdict v) {
        WelfordStats b = v.baseline();
        String summary = String.format(Locale.ROOT,
                "%s %s: activation norm %.3f is %.1f sd %s the baseline mean %.3f (sd %.3f, n=%d) at position %d",
                s.getModelId(), a.getHook(), v.norm(), Math.abs(v.z()), v.z() > 0 ? "above" : "below",
                b.mean(), b.stddev(), b.count(), a.getPosition());
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("norm", Alerts.fmt(v.norm()));
        attrs.put("baseline_mean", Alerts.fmt(b.mean()));
        attrs.put("baseline_sd", Alerts.fmt(b.stddev()));
        attrs.put("baseline_n", Long.toString(b.count()));
        return Alerts.fromSample(s, a, index, Alerts.source(context.recordMetadata(), s.getRequestId()), ActivationNormDetector.NAME,
                v.severity(), v.z(), detector.threshold(), summary, attrs, context.currentSystemTimeMs());
    }
}
