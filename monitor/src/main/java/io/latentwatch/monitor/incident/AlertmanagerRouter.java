package io.latentwatch.monitor.incident;

import com.fasterxml.jackson.databind.node.ArrayNode;
import io.latentwatch.schema.Incident;
import io.latentwatch.serde.Topic;
import io.latentwatch.schema.IncidentStatus;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pushes incidents from the compacted incidents topic to Alertmanager, a service of its own
 * ({@code latentwatch alert-router}): an HTTP call that may block for minutes while Alertmanager is
 * down has no place on a stream thread inside an exactly-once transaction, and one router serves any
 * number of monitor instances.
 *
 * <p>Nothing is lost: the consumer reads {@code read_committed} (only incidents of committed monitor
 * transactions) and commits an offset only after Alertmanager accepted everything before it. While
 * Alertmanager is down the router pauses its partitions, keeps polling (so it stays in its group) and
 * retries with exponential backoff. Pushing an alert twice is harmless: Alertmanager merges alerts with
 * the same label set, so a retry or a replay after a crash notifies once.
 *
 * <p>On every assignment the router reads its partitions from the beginning (the topic is compacted:
 * one record per incident) to learn which incidents are open, pushing only records from the committed
 * offset on; open incidents are then re-sent every {@code resendInterval}, so an Alertmanager that
 * restarted without state learns them again and firing alerts do not expire.
 */
public final class AlertmanagerRouter implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertmanagerRouter.class);

    /** @param resendInterval how often open incidents are re-sent; firing alerts expire after 4x this */
    public record Settings(Duration resendInterval, Duration initialBackoff, Duration maxBackoff) {
        public static Settings defaults() {
            return new Settings(Duration.ofSeconds(60), Duration.ofMillis(500), Duration.ofSeconds(30));
        }
    }

    private final KafkaConsumer<String, Incident> consumer;
    private final String topic;
    private final AlertmanagerClient client;
    private final AlertmanagerAlerts alerts;
    private final Settings settings;
    private final Counter pushes;
    private final Counter pushed;
    private final Gauge open;

    /** Latest state of every open incident, and the label set last pushed for it. */
    private final Map<String, Incident> openIncidents = new HashMap<>();
    private final Map<String, Map<String, String>> pushedLabels = new HashMap<>();
    /** Per partition: records below this offset were already pushed (replayed only to learn state). */
    private final Map<TopicPartition, Long> replayUntil = new HashMap<>();
    /** Per partition: the offset to commit once the pending pushes succeed. */
    private final Map<TopicPartition, Long> next = new HashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    private volatile boolean running = true;
    private boolean rebalanced;
    private long nextResendMs;

    /**
     * @param consumerConfig Kafka consumer properties (bootstrap servers, the serde's registry settings,
     *                       security); group id, isolation level, offsets and commits are set here
     */
    public AlertmanagerRouter(Map<String, Object> consumerConfig, String groupId, Topic<String, Incident> topic,
                              AlertmanagerClient client, AlertmanagerAlerts alerts, Settings settings, PrometheusRegistry registry) {
        Map<String, Object> c = new LinkedHashMap<>(consumerConfig);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.consumer = topic.consumer(c);
        this.topic = topic.name();
        this.client = client;
        this.alerts = alerts;
        this.settings = settings;
        this.pushes = Counter.builder().name("latentwatch_alertmanager_pushes_total")
                .help("POSTs of incidents to Alertmanager, by outcome (ok, failed: retried)").labelNames("outcome").register(registry);
        this.pushed = Counter.builder().name("latentwatch_alertmanager_alerts_total")
                .help("Incident states accepted by Alertmanager, by status").labelNames("status").register(registry);
        this.open = Gauge.builder().name("latentwatch_alertmanager_open_incidents")
                .help("Open incidents the router keeps firing in Alertmanager").register(registry);
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                forget();
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> parts) {
                forget();
                Set<TopicPartition> all = consumer.assignment();
                Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(all);
                for (TopicPartition tp : all) {
                    OffsetAndMetadata o = committed.get(tp);
                    replayUntil.put(tp, o == null ? 0L : o.offset());
                }
                consumer.seekToBeginning(all);
                nextResendMs = 0; // re-send what is open once caught up
            }
        });
        try {
            while (running) {
                ConsumerRecords<String, Incident> records = consumer.poll(Duration.ofMillis(200));
                rebalanced = false;
                for (ConsumerRecord<String, Incident> r : records) learn(r);
                long now = System.currentTimeMillis();
                boolean resend = now >= nextResendMs && caughtUp();
                if (dirty.isEmpty() && !resend) continue;
                if (resend) dirty.addAll(openIncidents.keySet());
                if (!pushWithRetries()) continue; // a rebalance dropped the batch: replay from the committed offsets
                if (resend) nextResendMs = System.currentTimeMillis() + settings.resendInterval().toMillis();
                commit();
            }
        } catch (WakeupException e) {
            if (running) throw e;
        } finally {
            consumer.close();
        }
    }

    private void learn(ConsumerRecord<String, Incident> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        next.put(tp, r.offset() + 1);
        Incident i = r.value();
        if (i == null) { // a tombstone: the incident is gone
            openIncidents.remove(r.key());
            pushedLabels.remove(r.key());
            return;
        }
        boolean replay = r.offset() < replayUntil.getOrDefault(tp, 0L);
        if (i.getStatus() == IncidentStatus.RESOLVED) openIncidents.remove(i.getIncidentId());
        else openIncidents.put(i.getIncidentId(), i);
        if (replay) {
            pushedLabels.put(i.getIncidentId(), AlertmanagerAlerts.labels(i));
            if (i.getStatus() == IncidentStatus.RESOLVED) pushedLabels.remove(i.getIncidentId());
        } else {
            pending.put(i.getIncidentId(), i);
            dirty.add(i.getIncidentId());
        }
    }

    /** Incidents to push that are not open any more (their last state is a resolve). */
    private final Map<String, Incident> pending = new HashMap<>();

    private boolean caughtUp() {
        for (Map.Entry<TopicPartition, Long> e : replayUntil.entrySet()) {
            if (next.getOrDefault(e.getKey(), 0L) < e.getValue()) return false;
        }
        return true;
    }

    /** Pushes the dirty incidents until Alertmanager accepts them; false when a rebalance intervened. */
    private boolean pushWithRetries() {
        long now = System.currentTimeMillis();
        ArrayNode batch = AlertmanagerAlerts.array();
        Map<String, Map<String, String>> labelsAfter = new HashMap<>();
        for (String id : dirty) {
            Incident i = openIncidents.containsKey(id) ? openIncidents.get(id) : pending.get(id);
            if (i == null) continue;
            Map<String, String> labels = AlertmanagerAlerts.labels(i);
            Map<String, String> before = pushedLabels.get(id);
            // Alertmanager knows alerts by label set: if the incident's worst alert changed, end the old one.
            if (before != null && !before.equals(labels)) batch.add(alerts.ended(before, i, now));
            batch.add(alerts.alert(i, now));
            labelsAfter.put(id, i.getStatus() == IncidentStatus.RESOLVED ? null : labels);
        }
        if (!batch.isEmpty()) {
            long backoff = settings.initialBackoff().toMillis();
            Set<TopicPartition> paused = Set.of();
            while (true) {
                try {
                    client.post(batch);
                    pushes.labelValues("ok").inc();
                    break;
                } catch (IOException e) {
                    pushes.labelValues("failed").inc();
                    LOG.warn("Alertmanager push failed, retrying in {} ms (offsets stay uncommitted): {}", backoff, e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                    return false;
                }
                if (!running) return false;
                // Keep polling with paused partitions: the group keeps us, and no new records are read.
                paused = consumer.assignment();
                consumer.pause(paused);
                try {
                    consumer.poll(Duration.ofMillis(backoff));
                } catch (WakeupException e) {
                    if (!running) return false;
                    throw e;
                }
                if (rebalanced) return false;
                backoff = Math.min(settings.maxBackoff().toMillis(), backoff * 2);
            }
            consumer.resume(paused);
            for (Map.Entry<String, Map<String, String>> e : labelsAfter.entrySet()) {
                Incident i = openIncidents.containsKey(e.getKey()) ? openIncidents.get(e.getKey()) : pending.get(e.getKey());
                if (i != null) pushed.labelValues(i.getStatus().name()).inc();
                if (e.getValue() == null) pushedLabels.remove(e.getKey());
                else pushedLabels.put(e.getKey(), e.getValue());
            }
        }
        dirty.clear();
        pending.clear();
        open.set(openIncidents.size());
        return true;
    }

    private void commit() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Set<TopicPartition> assigned = consumer.assignment();
        next.forEach((tp, o) -> {
            if (assigned.contains(tp) && o > replayUntil.getOrDefault(tp, 0L)) offsets.put(tp, new OffsetAndMetadata(o));
        });
        if (offsets.isEmpty()) return;
        consumer.commitSync(offsets);
        offsets.forEach((tp, o) -> replayUntil.put(tp, o.offset()));
    }

    private void forget() {
        rebalanced = true;
        openIncidents.clear();
        pushedLabels.clear();
        replayUntil.clear();
        next.clear();
        dirty.clear();
        pending.clear();
    }

    /** Open incidents the router currently knows (for tests and status lines). */
    public int openIncidents() {
        return openIncidents.size();
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
