package io.latentwatch.monitor.incident;

import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Incident;
import io.latentwatch.schema.IncidentScope;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@link IncidentGrouper} on alerts keyed by their group key, with each group's incident in a
 * changelogged store: under exactly-once the store and the incidents written commit together, so a
 * restart or a failover to another instance neither loses an incident nor opens a second one for the
 * same alerts. A wall-clock punctuator resolves quiet incidents and forgets cooled-down ones.
 * Output: the incident, keyed by incident id.
 */
final class IncidentProcessor implements Processor<String, Alert, String, Incident> {
    private final IncidentGrouper grouper;
    private final String storeName;
    private final IncidentMetrics metrics;
    private ProcessorContext<String, Incident> context;
    private KeyValueStore<String, Incident> state;

    IncidentProcessor(IncidentGrouper grouper, String storeName, IncidentMetrics metrics) {
        this.grouper = grouper;
        this.storeName = storeName;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Incident> context) {
        this.context = context;
        this.state = context.getStateStore(storeName);
        // Resolution needs no finer clock than a tenth of the quiet period (at most once a second).
        long tick = Math.max(100, Math.min(1000, grouper.config().quietPeriod().toMillis() / 10));
        context.schedule(Duration.ofMillis(tick), PunctuationType.WALL_CLOCK_TIME, this::tick);
    }

    @Override
    public void process(Record<String, Alert> record) {
        Alert a = record.value();
        String key = IncidentGrouper.groupKey(a);
        Incident current = state.get(key);
        // Per-request false-alarm accounting: the first alert of each detector on a request (redeliveries change nothing).
        if (metrics != null && IncidentGrouper.scope(a) == IncidentScope.REQUEST
                && (current == null || !current.getDetectors().contains(a.getDetector()))) {
            metrics.requestFlagged(a.getModelId(), a.getDetector());
        }
        IncidentGrouper.Step step = grouper.onAlert(current, a, context.currentSystemTimeMs());
        apply(key, step, record.timestamp());
    }

    private void tick(long nowMs) {
        List<KeyValue<String, Incident>> all = new ArrayList<>();
        try (KeyValueIterator<String, Incident> it = state.all()) {
            it.forEachRemaining(all::add);
        }
        for (KeyValue<String, Incident> kv : all) apply(kv.key, grouper.onTick(kv.value, nowMs), nowMs);
    }

    private void apply(String key, IncidentGrouper.Step step, long timestamp) {
        if (step.state() == null) state.delete(key);
        else if (step.emit() != null) state.put(key, step.state());
        if (step.emit() != null) {
            context.forward(new Record<>(step.emit().getIncidentId(), step.emit(), timestamp));
            if (metrics != null) metrics.record(step.emit());
        }
    }
}
