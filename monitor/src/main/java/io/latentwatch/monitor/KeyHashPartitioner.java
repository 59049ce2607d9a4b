package io.latentwatch.monitor;

import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

/**
 * murmur2 of the UTF-8 key modulo the partition count — used for both the explanation-chain
 * repartition topic and the explanations topic, so that chain task p writes exactly explanations
 * partition p (the two topics have the same partition count).
 */
final class KeyHashPartitioner<V> implements StreamPartitioner<String, V> {
    static int partition(String key, int numPartitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % numPartitions;
    }

    @Override
    public Optional<Set<Integer>> partitions(String topic, String key, V value, int numPartitions) {
        return Optional.of(Set.of(partition(key, numPartitions)));
    }
}
