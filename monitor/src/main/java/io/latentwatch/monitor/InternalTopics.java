package io.latentwatch.monitor;

import io.latentwatch.monitor.incident.IncidentTopology;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The partition counts of the monitor's repartition topics, fixed before Kafka Streams starts.
 *
 * <p>Left to itself, Kafka Streams derives a repartition topic's count from its upstream source topics at every
 * rebalance and refuses to run ("Existing internal topic ... has invalid partitions") when the topic on the broker
 * has another count: a topic auto-created by a stray client with the broker's {@code num.partitions}, or the
 * input topic having grown, stops a restarted monitor for good. Here each repartition topic gets an explicit count
 * ({@code Repartitioned.withNumberOfPartitions}): the count of the topic already on the broker when there is one
 * (its records and the changelogs of the stores downstream are partitioned by it, so keeping it is the only
 * lossless choice), else {@code monitor.internal.partitions}, else the hidden-states topic's count (what Kafka
 * Streams would derive). The explanation chain is the exception: it must have exactly the explanations topic's
 * count (one chain per explanations partition, {@link ChainProcessor}), and a mismatch is an error that says how
 * to repair it.
 */
final class InternalTopics {
    private static final Logger LOG = LoggerFactory.getLogger(InternalTopics.class);

    /** The re-keying topics whose count is chosen here (by their {@code Repartitioned} names). */
    static final List<String> ADOPTABLE = List.of(MonitorTopology.PROJECTIONS, IncidentTopology.REPARTITION);

    private InternalTopics() {}

    /** The topic Kafka Streams uses for repartition {@code name} of application {@code applicationId}. */
    static String repartitionTopic(String applicationId, String name) {
        return applicationId + "-" + name + "-repartition";
    }

    /**
     * What {@link #resolve} decided: partitions per repartition name (0: left to Kafka Streams, only when nothing
     * fixes a count), and the explanations topic's count (0 without the SAE half).
     */
    record Plan(Map<String, Integer> repartitions, int explanationPartitions) {}

    /**
     * Reads the broker and decides the counts.
     *
     * @param configured {@code monitor.internal.partitions} (0: the hidden-states topic's count)
     * @param explanationPartitions {@code monitor.explanations.partitions} (0: the explanations topic's count)
     * @param chained whether the topology has the explanation chain (the SAE half)
     */
    static Plan resolve(Map<String, Object> streamsConfig, Topics topics, int configured, int explanationPartitions, boolean chained) {
        String app = String.valueOf(streamsConfig.get(StreamsConfig.APPLICATION_ID_CONFIG));
        String chain = repartitionTopic(app, MonitorTopology.EXPLANATION_CHAIN);
        try (Admin admin = Admin.create(Topics.adminConfig(streamsConfig))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<String> wanted = new ArrayList<>();
            for (String n : ADOPTABLE) wanted.add(repartitionTopic(app, n));
            wanted.addAll(List.of(chain, topics.hiddenStates(), topics.explanations()));
            List<String> present = wanted.stream().filter(existing::contains).toList();
            Map<String, TopicDescription> d = admin.describeTopics(present).allTopicNames().get(30, TimeUnit.SECONDS);

            int explanations = 0;
            if (chained) {
                explanations = explanationPartitions > 0 ? explanationPartitions : partitions(d, topics.explanations(),
                        MonitorConfig.EXPLANATIONS_PARTITIONS);
                if (d.containsKey(chain) && d.get(chain).partitions().size() != explanations) {
                    throw new IllegalStateException("internal topic " + chain + " has " + d.get(chain).partitions().size()
                            + " partition(s) but the explanations topic has " + explanations + ": the hash chain needs both "
                            + "equal. Stop every monitor instance, then delete " + chain + " (its records are explanations "
                            + "not yet chained: let a monitor with the old count drain it first) or reset the application "
                            + "with kafka-streams-application-reset");
                }
            }
            int fallback = configured > 0 ? configured
                    : d.containsKey(topics.hiddenStates()) ? d.get(topics.hiddenStates()).partitions().size() : 0;
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (String n : ADOPTABLE) {
                TopicDescription t = d.get(repartitionTopic(app, n));
                int count = t == null ? fallback : t.partitions().size();
                if (t != null && count != fallback) {
                    LOG.warn("internal topic {} exists with {} partition(s), not {}: keeping {} (its records and the state "
                            + "downstream are partitioned that way)", t.name(), count, fallback, count);
                }
                counts.put(n, count);
            }
            return new Plan(counts, explanations);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the monitor's topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the monitor's topics from " + streamsConfig.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)
                    + ": " + e.getMessage(), e);
        }
    }

    private static int partitions(Map<String, TopicDescription> d, String topic, String setting) {
        TopicDescription t = d.get(topic);
        if (t == null) {
            throw new IllegalStateException("topic " + topic + " does not exist: create the topics (latentwatch topics create, "
                    + "or " + MonitorConfig.TOPICS_CREATE + "=true) or set " + setting);
        }
        return t.partitions().size();
    }
}
