package io.latentwatch.monitor.health;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Kafka's own client metrics (Kafka Streams, its consumers, producers and admin client: lag, commit
 * rate, rebalances, restore progress, ...) as Prometheus gauges, read at scrape time from
 * {@code KafkaStreams.metrics()}. A metric {@code group}/{@code name} becomes
 * {@code kafka_<group without -metrics>_<name>} with dashes as underscores (e.g.
 * {@code kafka_stream_thread_commit_rate}, {@code kafka_consumer_fetch_manager_records_lag_max}); its
 * tags (client-id, thread-id, task-id, topic, partition) become labels. Non-numeric and non-finite
 * values are left out. Kafka's {@code *-total} metrics keep their value but lose the suffix, which
 * Prometheus reserves for counters.
 */
public final class KafkaClientMetrics implements MultiCollector {
    private final Supplier<Map<MetricName, ? extends Metric>> source;

    public KafkaClientMetrics(Supplier<Map<MetricName, ? extends Metric>> source) { this.source = source; }

    /** The Prometheus name of a Kafka metric. */
    public static String prometheusName(MetricName n) {
        String group = n.group().endsWith("-metrics") ? n.group().substring(0, n.group().length() - "-metrics".length()) : n.group();
        return PrometheusNaming.sanitizeMetricName("kafka_" + group + "_" + n.name());
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, GaugeSnapshot.Builder> byName = new TreeMap<>();
        Map<String, Set<Labels>> seen = new TreeMap<>();
        for (Map.Entry<MetricName, ? extends Metric> e : source.get().entrySet()) {
            Object v = e.getValue().metricValue();
            if (!(v instanceof Number num) || !Double.isFinite(num.doubleValue())) continue;
            MetricName n = e.getKey();
            String name = prometheusName(n);
            List<String> keys = new ArrayList<>(), values = new ArrayList<>();
            new TreeMap<>(n.tags()).forEach((k, val) -> { keys.add(PrometheusNaming.sanitizeLabelName(k)); values.add(val); });
            Labels labels = Labels.of(keys, values);
            if (!seen.computeIfAbsent(name, k -> new HashSet<>()).add(labels)) continue; // two Kafka names, one Prometheus name
            byName.computeIfAbsent(name, k -> GaugeSnapshot.builder().name(k).help(n.description() == null || n.description().isBlank()
                            ? "Kafka client metric " + n.group() + "/" + n.name() : n.description()))
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(num.doubleValue()).build());
        }
        List<MetricSnapshot> out = new ArrayList<>();
        byName.values().forEach(b -> out.add(b.build()));
        return new MetricSnapshots(out);
    }
}
