package io.latentwatch.monitor;

import io.latentwatch.monitor.audit.Redaction;
import io.latentwatch.monitor.explain.ExplanationText;
import io.latentwatch.monitor.explain.ExplanationWorker;
import io.latentwatch.monitor.explain.RepresentationReader;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.LatentContribution;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * Turns every alert into an {@link Explanation}. The parts the stream has at hand (versions, score
 * and threshold, top latents with labels, circuit matches) are filled at once; the model readings
 * (lenses, Patchscope) go to the bounded {@link ExplanationWorker}. The half-built explanation waits
 * in a changelogged store and a wall-clock punctuator forwards it when its reading is done, timed
 * out, or the worker was saturated — the stream thread never waits on the model. After a restart a
 * waiting explanation whose reading was lost with the old process is forwarded as "failed".
 * The configured {@link Redaction} is applied to every explanation before it is stored or
 * forwarded, so neither the pending store's changelog, the chain's repartition topic nor the
 * compliance log ever holds what it redacts.
 */
final class ExplainProcessor implements Processor<String, Alert, String, Explanation> {
    /** What an explanation says when the monitor was given no model at all. */
    static final List<String> NO_MODEL = List.of("logit lens, tuned lens and Patchscope need the model's weights, "
            + "and this monitor was started without a model (monitor.model.<id>)");
    private final SaeRegistry registry;
    private final ExplanationWorker worker;
    private final MonitorMetrics metrics;
    private final String pendingStore;
    private final long timeoutMs;
    private final Redaction redaction;
    private final Map<String, Future<RepresentationReader.Reading>> inFlight = new HashMap<>();
    private final Map<String, Alert> alerts = new HashMap<>();
    private ProcessorContext<String, Explanation> context;
    private KeyValueStore<String, Explanation> pending;

    ExplainProcessor(SaeRegistry registry, ExplanationWorker worker, MonitorMetrics metrics, MonitorConfig cfg, String pendingStore) {
        this.registry = registry;
        this.worker = worker;
        this.metrics = metrics;
        this.pendingStore = pendingStore;
        this.timeoutMs = cfg.lng(MonitorConfig.EXPLAIN_TIMEOUT_MS);
        this.redaction = cfg.redaction();
    }

    @Override
    public void init(ProcessorContext<String, Explanation> context) {
        this.context = context;
        this.pending = context.getStateStore(pendingStore);
        context.schedule(Duration.ofMillis(20), PunctuationType.WALL_CLOCK_TIME, t -> poll());
    }

    @Override
    public void process(Record<String, Alert> record) {
        Alert a = record.value();
        Explanation e = base(a);
        if (worker == null) {
            e.setPatchscopeStatus("not-requested");
            e.setText(ExplanationText.of(a, e, NO_MODEL));
            context.forward(new Record<>(a.getAlertId(), redaction.apply(e), record.timestamp()));
            metrics.explanation(e.getPatchscopeStatus());
            return;
        }
        Future<RepresentationReader.Reading> f = worker.submit(a);
        if (f == null) {
            e.setPatchscopeStatus("saturated");
            forward(a, e, record.timestamp());
            return;
        }
        inFlight.put(a.getAlertId(), f);
        alerts.put(a.getAlertId(), a);
        pending.put(a.getAlertId(), redaction.apply(e));   // the pending store's changelog is written too
    }

    private void poll() {
        List<KeyValue<String, Explanation>> all = new ArrayList<>();
        try (KeyValueIterator<String, Explanation> it = pending.all()) {
            while (it.hasNext()) all.add(it.next());
        }
        long now = context.currentSystemTimeMs();
        for (KeyValue<String, Explanation> kv : all) {
            Explanation e = kv.value;
            List<String> notRead = List.of();
            Future<RepresentationReader.Reading> f = inFlight.get(kv.key);
            Alert a = alerts.get(kv.key);
            if (f == null) {
                e.setPatchscopeStatus("failed");
                e.setText(e.getText() + " Decoding the representation was lost in a restart.");
                forwardStored(kv.key, e, now);
                continue;
            }
            if (f.isDone()) {
                try {
                    RepresentationReader.Reading r = f.get();
                    e.setLogitLensTokens(r.logitLens());
                    e.setTunedLensTokens(r.tunedLens());
                    e.setPatchscopeText(r.patchscopeText());
                    e.setPatchscopeStatus(r.patchscopeStatus());
                    notRead = r.notRead();
                } catch (Exception ex) {
                    e.setPatchscopeStatus("failed");
                    notRead = List.of("the model reading failed (" + ex.getClass().getSimpleName() + ")");
                }
            } else if (now - e.getTimestampMs().toEpochMilli() > timeoutMs) {
                f.cancel(true);
                e.setPatchscopeStatus("failed");
            } else {
                continue;
            }
            if (a != null) e.setText(ExplanationText.of(a, e, notRead));
            forwardStored(kv.key, e, now);
        }
    }

    private void forwardStored(String id, Explanation e, long ts) {
        pending.delete(id);
        inFlight.remove(id);
        alerts.remove(id);
        context.forward(new Record<>(id, redaction.apply(e), ts));
        metrics.explanation(e.getPatchscopeStatus());
    }

    private void forward(Alert a, Explanation e, long ts) {
        e.setText(ExplanationText.of(a, e));
        context.forward(new Record<>(a.getAlertId(), redaction.apply(e), ts));
        metrics.explanation(e.getPatchscopeStatus());
    }

    private Explanation base(Alert a) {
        List<LatentContribution> top = new ArrayList<>();
        LoadedSae sae = a.getSaeVersion() == null ? null : registry.metadata(a.getModelId(), a.getHook(), a.getSaeVersion());
        for (TopLatents.Entry l : TopLatents.of(a).entries()) {
            top.add(new LatentContribution(l.latent(), l.activation(), sae == null ? null : sae.label(l.latent())));
        }
        List<String> circuits = new ArrayList<>();
        if (a.getAttributes().containsKey("circuit")) circuits.add(a.getAttributes().get("circuit") + " [" + a.getAttributes().get("matched_heads") + "]");
        Explanation e = Explanation.newBuilder()
                .setAlertId(a.getAlertId()).setModelId(a.getModelId()).setModelVersion(a.getModelVersion())
                .setSaeVersion(a.getSaeVersion()).setDetector(a.getDetector()).setScore(a.getScore()).setThreshold(a.getThreshold())
                .setTopLatents(top).setCircuitMatches(circuits).setPatchscopeStatus("not-requested")
                .setTimestampMs(a.getTimestampMs()).setText("").build();
        e.setText(ExplanationText.of(a, e));
        return e;
    }

}
