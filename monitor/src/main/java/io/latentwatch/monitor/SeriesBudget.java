package io.latentwatch.monitor;

import io.latentwatch.schema.Activation;
import io.latentwatch.schema.HiddenStateSample;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The (model, hook) series one stream task admits, in a changelogged store (so the budget holds
 * across restarts and task moves): each admitted key {@code modelId|hook} is stored once, with the
 * count of admitted keys under {@link #COUNT}. A sample whose series are all known passes; one that
 * would push the count over the budget is refused whole (its known series are not updated either,
 * so the sample is dead-lettered in full rather than half processed).
 */
final class SeriesBudget {
    /** The count's key: a NUL byte cannot start a model id that passes the deserializer and a separator. */
    static final String COUNT = "\u0000count";
    private final KeyValueStore<String, Long> store;
    private final int max;

    SeriesBudget(KeyValueStore<String, Long> store, int max) {
        this.store = store;
        this.max = max;
    }

    /** Admits the sample's series, or returns why not (null when admitted). */
    String admit(HiddenStateSample s) {
        Set<String> fresh = new LinkedHashSet<>();
        for (Activation a : s.getActivations()) {
            String key = s.getModelId() + "|" + a.getHook();
            if (!COUNT.equals(key) && store.get(key) == null) fresh.add(key);
        }
        if (fresh.isEmpty()) return null;
        Long c = store.get(COUNT);
        long count = c == null ? 0 : c;
        if (count + fresh.size() > max) {
            return "this task already keeps state for " + count + " (model, hook) series, the limit ("
                    + MonitorConfig.INPUT_MAX_SERIES + " = " + max + "); the sample would add " + fresh.size() + " more";
        }
        for (String k : fresh) store.put(k, ++count);
        store.put(COUNT, count);
        return null;
    }
}
