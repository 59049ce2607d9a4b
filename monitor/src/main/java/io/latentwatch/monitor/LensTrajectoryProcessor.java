package io.latentwatch.monitor;

import io.latentwatch.interp.hooks.HookName;
import io.latentwatch.interp.lens.LensMath;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.monitor.detect.LensTrajectoryDetector;
import io.latentwatch.monitor.detect.LensTrajectoryScorer;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the {@link LensTrajectoryDetector} on valid samples that carry both the final residual
 * ({@code blocks.(n-1).hook_resid_post}) and an earlier residual hook at the same position; forwards an
 * Alert keyed {@code modelId|earlyHook} for each pair that fires. The warm-up baselines live in a changelogged
 * state store keyed {@code modelId|layer} (written only while they warm up), so a restarted or rebalanced
 * instance keeps its thresholds. Samples of a model that is not loaded
 * are skipped and counted by the scorer.
 */
final class LensTrajectoryProcessor implements Processor<String, CheckedSample, String, Alert> {
    private static final Logger LOG = LoggerFactory.getLogger(LensTrajectoryProcessor.class);
    private final LensTrajectoryScorer scorer;
    private final LensTrajectoryDetector detector;
    private final MonitorMetrics metrics;
    private final String storeName;
    private ProcessorContext<String, Alert> context;
    private KeyValueStore<String, LensTrajectoryDetector.Baseline> baselines;

    /** @param storeName the changelogged store of warm-up baselines, keyed {@code modelId|layer} */
    LensTrajectoryProcessor(LensTrajectoryScorer scorer, LensTrajectoryDetector detector, MonitorMetrics metrics, String storeName) {
        this.scorer = scorer;
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
        HiddenStateSample s = record.value().sample();
        List<Activation> acts = s.getActivations();
        HookedTransformer m = scorer.model(s.getModelId());
        if (m == null) {
            scorer.skip();
            LOG.debug("lens trajectory: no model loaded for {}, sample {} skipped", s.getModelId(), s.getRequestId());
            return;
        }
        String finalHook = LensTrajectoryScorer.finalHook(m.config());
        Map<Integer, Integer> finals = new HashMap<>();
        for (int i = 0; i < acts.size(); i++) if (acts.get(i).getHook().equals(finalHook)) finals.put(acts.get(i).getPosition(), i);
        if (finals.isEmpty()) return;
        for (int i = 0; i < acts.size(); i++) {
            Activation a = acts.get(i);
            int layer = HookName.residualLayer(m.config(), a.getHook());
            Integer f = finals.get(a.getPosition());
            if (layer < 0 || layer >= m.config().nLayers() || f == null) continue;
            float[] early = record.value().values().get(i), fin = record.value().values().get(f);
            if (early.length != m.config().dModel() || fin.length != m.config().dModel()) continue;
            float[] finalLogits = LensTrajectoryScorer.finalLogits(m, fin);
            float[] earlyLogits = LensTrajectoryScorer.earlyLogits(scorer.lens(s.getModelId()), layer, early);
            double kl = LensTrajectoryDetector.divergence(finalLogits, earlyLogits);
            String key = s.getModelId() + "|" + layer;
            LensTrajectoryDetector.Step step = detector.evaluate(baselines.get(key), kl);
            if (step.changed()) baselines.put(key, step.baseline());
            LensTrajectoryDetector.Verdict v = step.verdict();
            if (v.alert()) {
                context.forward(new Record<>(s.getModelId() + "|" + a.getHook(), alert(m, s, a, i, layer, v, finalLogits, earlyLogits), record.timestamp()));
                metrics.alert(LensTrajectoryDetector.NAME, s.getModelId(), a.getHook());
            }
        }
    }

    private Alert alert(HookedTransformer m, HiddenStateSample s, Activation a, int index, int layer,
                        LensTrajectoryDetector.Verdict v, float[] finalLogits, float[] earlyLogits) {
        String finalTop = m.tokenizer().decode(new int[] {LensMath.argmax(finalLogits)});
        String earlyTop = m.tokenizer().decode(new int[] {LensMath.argmax(earlyLogits)});
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("kl_final_vs_tuned", Alerts.fmt(v.score()));
        attrs.put("residual_layer", Integer.toString(layer));
        attrs.put("final_top_token", finalTop);
        attrs.put("early_top_token", earlyTop);
        attrs.put("baseline_n", Integer.toString(v.baselineCount()));
        String summary = String.format(Locale.ROOT, "%s %s: KL(final || tuned lens of layer %d) = %.4f nats above the baseline threshold %.4f "
                + "(final predicts '%s', layer %d predicts '%s') at position %d", s.getModelId(), a.getHook(), layer, v.score(),
                v.threshold(), finalTop, layer, earlyTop, a.getPosition());
        return Alerts.fromSample(s, a, index, Alerts.source(context.recordMetadata(), s.getRequestId()), LensTrajectoryDetector.NAME,
                v.severity(), v.score(), v.threshold(), summary, attrs, context.currentSystemTimeMs());
    }
}
