package io.latentwatch.monitor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.schema.Alert;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the last {@value #KEEP} alerts per alert key ({@code modelId|hook}) as a JSON array in a
 * changelogged store, for the HTTP endpoint /alerts (interactive queries across instances).
 */
final class RecentAlertsProcessor implements Processor<String, Alert, Void, Void> {
    static final int KEEP = 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String store;
    private KeyValueStore<String, String> recent;

    RecentAlertsProcessor(String store) { this.store = store; }

    @Override
    public void init(ProcessorContext<Void, Void> context) { this.recent = context.getStateStore(store); }

    @Override
    public void process(Record<String, Alert> record) {
        Alert a = record.value();
        String key = a.getModelId() + "|" + a.getHook();
        try {
            String old = recent.get(key);
            ArrayNode arr = old == null ? JSON.createArrayNode() : (ArrayNode) JSON.readTree(old);
            ObjectNode o = JSON.createObjectNode();
            o.put("alertId", a.getAlertId());
            o.put("model", a.getModelId());
            o.put("hook", a.getHook());
            o.put("detector", a.getDetector());
            o.put("severity", a.getSeverity().name());
            o.put("score", a.getScore());
            o.put("threshold", a.getThreshold());
            o.put("saeVersion", a.getSaeVersion());
            o.put("requestId", a.getRequestId());
            o.put("timestampMs", a.getTimestampMs().toEpochMilli());
            o.put("summary", a.getSummary());
            arr.insert(0, o);
            while (arr.size() > KEEP) arr.remove(arr.size() - 1);
            recent.put(key, JSON.writeValueAsString(arr));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
