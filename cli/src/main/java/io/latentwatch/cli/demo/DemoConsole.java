package io.latentwatch.cli.demo;

import io.latentwatch.cli.traffic.TrafficGenerator;
import io.latentwatch.monitor.DeadLetter;
import io.latentwatch.monitor.detect.LensTrajectoryDetector;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.serde.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Reads alerts, explanations and dead letters (read_committed: only what the monitor's transactions committed). */
public final class DemoConsole implements Runnable {
private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong alerts = new AtomicLong();
    final AtomicLong deadLetters = new AtomicLong();
    final AtomicLong explanations = new AtomicLong();
    final AtomicLong explanationsWithText = new AtomicLong();
    final AtomicLong explanationsWithLensTokens = new AtomicLong();
    final Map<String, Long> alertsByDetector = new ConcurrentHashMap<>();
    final Map<String, Long> dlqByReason = new ConcurrentHashMap<>();
    final List<Alert> received = Collections.synchronizedList(new ArrayList<>());
    final AtomicReference<Explanation> example = new AtomicReference<>();
    final AtomicReference<Explanation> lensExample = new AtomicReference<>();
    private final String bootstrap;
    private final Topics topics;
    private final Deserializer<Alert> alertDeserializer;
    private final Deserializer<Explanation> explanationDeserializer;
    private final Map<String, TrafficGenerator.RequestRecord> truth;
    private final PrintStream out;
    private final boolean quiet;

    DemoConsole(String bootstrap, Topics topics, Deserializer<Alert> alertDeserializer, Deserializer<Explanation> explanationDeserializer,
            Map<String, TrafficGenerator.RequestRecord> truth, PrintStream out, boolean quiet) {
        this.out = out;
        this.quiet = quiet;
        this.bootstrap = bootstrap;
        this.topics = topics;
        this.alertDeserializer = alertDeserializer;
        this.explanationDeserializer = explanationDeserializer;
        this.truth = truth;
    }

    @Override
    public void run() {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cfg.put(ConsumerConfig.GROUP_ID_CONFIG, "latentwatch-demo-console");
        cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cfg, new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topics.alerts(), topics.dlq(), topics.explanations()));
            while (!stop.get()) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    try {
                        if (r.topic().equals(topics.dlq())) onDeadLetter(r);
                        else if (r.topic().equals(topics.explanations())) onExplanation(explanationDeserializer.deserialize(r.topic(), r.value()));
                        else onAlert(alertDeserializer.deserialize(r.topic(), r.value()));
                    } catch (RuntimeException e) {
                        out.println("console: cannot read a record of " + r.topic() + ": " + e);
                    }
                }
            }
        }
    }

    private void onDeadLetter(ConsumerRecord<String, byte[]> r) {
        Header hd = r.headers().lastHeader(DeadLetter.REASON);
        dlqByReason.merge(hd == null ? "?" : new String(hd.value(), StandardCharsets.UTF_8), 1L, Long::sum);
        deadLetters.incrementAndGet();
    }

    private void onExplanation(Explanation e) {
        explanations.incrementAndGet();
        if (LensTrajectoryDetector.NAME.equals(e.getDetector())) lensExample.compareAndSet(null, e);
        if (e.getLogitLensTokens() != null && !e.getLogitLensTokens().isEmpty()) explanationsWithLensTokens.incrementAndGet();
        if (e.getPatchscopeText() != null && !e.getPatchscopeText().isBlank()) {
            explanationsWithText.incrementAndGet();
            example.compareAndSet(null, e);
        }
    }

    private void onAlert(Alert a) {
        alerts.incrementAndGet();
        received.add(a);
        alertsByDetector.merge(a.getDetector(), 1L, Long::sum);
        if (!quiet) {
            TrafficGenerator.RequestRecord t = a.getRequestId() == null ? null : truth.get(a.getRequestId());
            String gt = a.getRequestId() == null ? "window" : t == null ? "?" : t.kind() + (t.injected() ? ":" + t.subtype() : "");
            out.printf(Locale.ROOT, "%s ALERT %-8s %-14s score=%.3g thr=%.3g pos=%s truth=%s | %s%n",
                    LocalTime.now().format(CLOCK), a.getSeverity(), a.getDetector(), a.getScore(), a.getThreshold(),
                    a.getPosition(), gt, a.getSummary());
        }
    }
}
