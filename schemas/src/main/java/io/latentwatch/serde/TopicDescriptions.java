package io.latentwatch.serde;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;

/**
 * What the broker says about topics, for operators ({@code latentwatch topics describe}) and
 * for {@code audit verify} (the explanations topic's retention): partitions, the configuration
 * that differs from the broker's defaults, and each partition's log-start and end offsets.
 */
public final class TopicDescriptions {

    /** One partition: offsets of its first kept record and of the next record to be written. */
    public record PartitionOffsets(int partition, long logStart, long end) {}

    /** One topic: its explicitly set configuration (plus cleanup.policy and retention.ms always) and partitions. */
    public record TopicReport(String name, int partitions, short replicationFactor, Map<String, String> configs,
                              List<PartitionOffsets> offsets) {
        public long records() {
            return offsets.stream().mapToLong(o -> o.end() - o.logStart()).sum();
        }
    }

    /** Configs always shown, even at their defaults: the ones latentwatch's topics depend on. */
    static final Set<String> ALWAYS_SHOWN = Set.of("cleanup.policy", "retention.ms", "retention.bytes");

    private TopicDescriptions() {
    }

    /** Describes {@code names} (each must exist), in the given order. */
    public static List<TopicReport> describe(Admin admin, Collection<String> names) {
        Map<String, TopicDescription> descriptions = get(admin.describeTopics(names).allTopicNames(), "describe topics " + names);
        List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = get(admin.describeConfigs(resources).all(), "read the configs of " + names);
        Map<TopicPartition, OffsetSpec> earliest = new TreeMap<>(TopicDescriptions::compare);
        Map<TopicPartition, OffsetSpec> latest = new TreeMap<>(TopicDescriptions::compare);
        for (TopicDescription d : descriptions.values()) {
            d.partitions().forEach(p -> {
                earliest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.earliest());
                latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
            });
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = get(admin.listOffsets(earliest).all(), "list log-start offsets");
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = get(admin.listOffsets(latest).all(), "list end offsets");
        List<TopicReport> out = new ArrayList<>();
        for (String name : names) {
            TopicDescription d = descriptions.get(name);
            Map<String, String> shown = new TreeMap<>();
            for (ConfigEntry e : configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name)).entries()) {
                boolean explicit = e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG;
                if (explicit || ALWAYS_SHOWN.contains(e.name())) {
                    shown.put(e.name(), e.value());
                }
            }
            List<PartitionOffsets> offsets = new ArrayList<>();
            d.partitions().forEach(p -> {
                TopicPartition tp = new TopicPartition(name, p.partition());
                offsets.add(new PartitionOffsets(p.partition(), starts.get(tp).offset(), ends.get(tp).offset()));
            });
            short rf = (short) (d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size());
            out.add(new TopicReport(name, d.partitions().size(), rf, shown, offsets));
        }
        return out;
    }

    /** Plain-text form: one block per topic. */
    public static String format(List<TopicReport> reports) {
        StringBuilder sb = new StringBuilder();
        for (TopicReport r : reports) {
            sb.append(String.format("%s  partitions=%d replication=%d records=%d%n", r.name(), r.partitions(), r.replicationFactor(), r.records()));
            r.configs().forEach((k, v) -> sb.append("  ").append(k).append('=').append(v).append('\n'));
            for (PartitionOffsets o : r.offsets()) {
                sb.append(String.format("  partition %d: log start %d, end %d%n", o.partition(), o.logStart(), o.end()));
            }
        }
        return sb.toString();
    }

    private static int compare(TopicPartition a, TopicPartition b) {
        int c = a.topic().compareTo(b.topic());
        return c != 0 ? c : Integer.compare(a.partition(), b.partition());
    }

    private static <T> T get(KafkaFuture<T> f, String what) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while trying to " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Timed out trying to " + what + " (is the broker reachable?)", e);
        }
    }
}
