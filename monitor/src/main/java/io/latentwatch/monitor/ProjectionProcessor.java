package io.latentwatch.monitor;

import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.monitor.validate.DeadLetterReason;
import io.latentwatch.monitor.validate.SampleValidator;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.schema.Severity;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Projects valid samples through the SAE in force for each (model, hook), in micro-batches, and emits
 * what is known at projection time: the projections, circuit matches ({@link CircuitAlerts}), missing
 * SAEs, SAE swaps and refusals, and dead letters for activations no SAE in force fits.
 *
 * <p>Exactly-once: a sample is held in memory and referenced in a changelogged store by its source
 * (partition, offset) ({@link ProjectionBuffer}). The batch is drained when it holds
 * {@code monitor.batch.max.records} samples or when its oldest sample has waited
 * {@code monitor.batch.max.ms} of wall-clock time (a punctuator checks five times per interval).
 * Counting from the oldest sample rather than on a fixed tick matters under load: a drain of a large
 * SAE can take longer than the interval, and a fixed tick would then fire again at once and drain a
 * handful of rows, each drain paying for a full read of W_enc. When the samples arriving are already
 * older than {@code monitor.batch.backlog.ms} (the monitor is catching up on a backlog, so latency is
 * lost anyway), a drain waits for a full batch, up to ten times the interval: the per-row cost of the
 * encoder matmul falls several-fold from tens of rows to hundreds.
 *
 * <p>Draining forwards the outputs and deletes the references in the same task, so the store changes,
 * the output records and the input offsets commit in one transaction: after a crash a sample is either
 * still referenced in the (restored) store, and is read back from the input topic at start-up
 * ({@link InputReplay}), or its outputs are committed — never both, never neither.
 */
final class ProjectionProcessor implements Processor<String, CheckedSample, String, ProjectionOutput> {
    private static final Logger LOG = LoggerFactory.getLogger(ProjectionProcessor.class);
    static final String NO_SAE = "no-sae";
    static final String SAE_VERSION_DETECTOR = "sae-version";
    /** How long start-up waits for the input topic to give back buffered samples. */
    private static final Duration REPLAY_TIMEOUT = Duration.ofSeconds(60);

    private final SaeRegistry registry;
    private final Deserializer<HiddenStateSample> deserializer;
    private final MonitorMetrics metrics;
    private final MonitorConfig config;
    private final String bufferStore;
    private final String announcedStore;
    private final String circuitStore;
    private final int maxRecords;
    private final BatchProjection projection;
    private ProcessorContext<String, ProjectionOutput> context;
    private ProjectionBuffer buffer;
    private CircuitAlerts circuits;
    private KeyValueStore<String, String> announced;
    private long oldestBufferedMs; // wall clock when the oldest sample in the buffer arrived (this instance)
    private long maxWaitMs;
    private long backlogMs;
    private long lastArrivalAgeMs; // wall clock minus the Kafka timestamp of the latest buffered sample
    private String instance; // which monitor instance swapped or refused a version
    private final Map<String, Long> missingSince = new TreeMap<>();
    private long lastMissingLog;
    /** Results computed by a drain on this thread (maybe another task's) for the first {@code readyCount} buffered samples. */
    private BatchProjection.Result ready;
    private int readyCount;
    private boolean closed;

    ProjectionProcessor(SaeRegistry registry, Deserializer<HiddenStateSample> deserializer, MonitorMetrics metrics,
                        MonitorConfig config, String bufferStore, String announcedStore, String circuitStore) {
        this.registry = registry;
        this.deserializer = deserializer;
        this.metrics = metrics;
        this.config = config;
        this.bufferStore = bufferStore;
        this.announcedStore = announcedStore;
        this.circuitStore = circuitStore;
        this.maxRecords = config.integer(MonitorConfig.BATCH_MAX_RECORDS);
        this.projection = new BatchProjection(registry, metrics, config.integer(MonitorConfig.PROJECTION_MAX_LATENTS));
    }

    @Override
    public void init(ProcessorContext<String, ProjectionOutput> context) {
        this.context = context;
        KeyValueStore<Bytes, byte[]> store = context.getStateStore(bufferStore);
        this.buffer = new ProjectionBuffer(store);
        this.ready = null;
        this.closed = false;
        this.announced = context.getStateStore(announcedStore);
        Severity circuitSeverity = Severity.valueOf(config.str(MonitorConfig.CIRCUIT_SEVERITY).toUpperCase(Locale.ROOT));
        this.circuits = new CircuitAlerts(registry, context.getStateStore(circuitStore), metrics, circuitSeverity);
        recover(buffer.restored());
        oldestBufferedMs = context.currentSystemTimeMs(); // restored samples wait at most one more interval
        instance = instanceName(context.appConfigs().get("application.server"));
        maxWaitMs = config.lng(MonitorConfig.BATCH_MAX_MS);
        backlogMs = config.lng(MonitorConfig.BATCH_BACKLOG_MS);
        context.schedule(Duration.ofMillis(Math.max(1, maxWaitMs / 5)), PunctuationType.WALL_CLOCK_TIME, t -> {
            if (ready != null) forwardReady();
            long waited = t - oldestBufferedMs;
            boolean catchingUp = lastArrivalAgeMs > backlogMs;
            if (buffer.isEmpty() || waited >= (catchingUp ? 10 * maxWaitMs : maxWaitMs)) drain();
        });
    }

    @Override
    public void process(Record<String, CheckedSample> record) {
        if (ready != null) forwardReady();
        var meta = context.recordMetadata().orElseThrow();
        long now = context.currentSystemTimeMs();
        if (buffer.isEmpty()) oldestBufferedMs = now;
        buffer.add(meta.topic(), meta.partition(), meta.offset(), record.timestamp(), record.value(), copy(record.headers()));
        lastArrivalAgeMs = now - record.timestamp();
        if (buffer.size() >= maxRecords) drain();
    }

    /** Reads the samples referenced by a restored buffer back from the input topic, decoded and validated again. */
    private void recover(List<ProjectionBuffer.Ref> refs) {
        if (refs.isEmpty()) return;
        Map<String, TreeSet<Long>> wanted = new LinkedHashMap<>();
        for (ProjectionBuffer.Ref r : refs) {
            if (r.original() == null) wanted.computeIfAbsent(r.topic() + "\u0000" + r.partition(), k -> new TreeSet<>()).add(r.offset());
        }
        Map<String, Map<Long, ConsumerRecord<byte[], byte[]>>> read = new LinkedHashMap<>();
        for (Map.Entry<String, TreeSet<Long>> w : wanted.entrySet()) {
            String[] tp = w.getKey().split("\u0000");
            read.put(w.getKey(), InputReplay.read(context.appConfigs(), tp[0], Integer.parseInt(tp[1]), w.getValue(), REPLAY_TIMEOUT));
        }
        SampleValidator validator = new SampleValidator();
        int lost = 0;
        for (ProjectionBuffer.Ref r : refs) {
            ConsumerRecord<byte[], byte[]> rec = r.original() != null ? null
                    : read.get(r.topic() + "\u0000" + r.partition()).get(r.offset());
            byte[] bytes = r.original() != null ? r.original() : rec == null ? null : rec.value();
            CheckedSample c = bytes == null ? null : decode(validator, r.topic(), bytes);
            if (c == null) {
                lost++;
                buffer.forget(r);
                continue;
            }
            buffer.recover(r, c, rec == null ? new RecordHeaders() : copy(rec.headers()));
        }
        LOG.info("projection buffer restored: {} sample(s) read back from the input topic", refs.size() - lost);
        if (lost > 0) {
            LOG.error("projection buffer restored {} reference(s) whose record the input topic no longer holds or that no longer "
                    + "validate; they were not projected (raise the input topic's retention above the longest outage)", lost);
            metrics.replayLost(lost);
        }
    }

    private CheckedSample decode(SampleValidator validator, String topic, byte[] bytes) {
        try {
            HiddenStateSample s = deserializer.deserialize(topic, bytes);
            SampleValidator.Result r = validator.validate(s);
            return r.valid() ? new CheckedSample(bytes, s, r.values(), null, null, System.nanoTime()) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Headers copy(Headers h) {
        return new RecordHeaders(h.toArray());
    }

    @Override
    public void close() {
        closed = true;
        ready = null;
    }

    boolean closed() { return closed; }

    /**
     * Projects the pending samples of every projection task on this thread at once ({@link ThreadBatches}), then
     * forwards this task's results; the other tasks forward theirs on their next record or punctuation.
     */
    private void drain() {
        emitRegistryEvents();
        if (ready != null) forwardReady();
        if (buffer.isEmpty()) { logMissing(); return; }
        List<ProjectionProcessor> peers = new ArrayList<>();
        List<ProjectionBuffer.Entry> all = new ArrayList<>();
        for (ProjectionProcessor p : ThreadBatches.members(this)) {
            if (p.ready != null || p.buffer == null || p.buffer.isEmpty()) continue;
            peers.add(p);
            all.addAll(p.buffer.entries());
        }
        BatchProjection.Result r = projection.project(all);
        for (ProjectionProcessor p : peers) {
            p.ready = r;
            p.readyCount = p.buffer.size();
        }
        forwardReady();
        logMissing();
    }

    /** Forwards the results of the first {@code readyCount} buffered samples and drops their references. */
    private void forwardReady() {
        BatchProjection.Result r = ready;
        ready = null;
        List<ProjectionBuffer.Entry> batch = buffer.entries().subList(0, readyCount);
        Set<ProjectionBuffer.Entry> mine = Collections.newSetFromMap(new IdentityHashMap<>());
        mine.addAll(batch);
        for (BatchProjection.Missing m : r.missing()) if (mine.contains(m.entry())) missing(m.entry(), m.activation());
        long now = context.currentSystemTimeMs();
        for (ProjectionBuffer.Entry e : batch) {
            HiddenStateSample s = e.sample().sample();
            CircuitAlerts.Outcome c = circuits.match(s, e.source(), r.headCodes().get(e), now);
            for (Alert a : c.alerts()) context.forward(new Record<>(CircuitAlerts.key(s.getModelId()), ProjectionOutput.of(a), e.timestamp()));
            for (LatentProjection lp : r.projections().getOrDefault(e, List.of())) {
                if (!c.matched().isEmpty() && BatchProjection.isPerHead(lp.getHook())) lp.setCircuitMatches(c.matched());
                context.forward(new Record<>(SaeRegistry.key(lp.getModelId(), lp.getHook()), ProjectionOutput.of(lp), e.timestamp()));
            }
            List<String> mm = r.mismatches().get(e);
            if (mm != null) deadLetter(e, String.join("; ", mm));
            metrics.endToEndSeconds((now - s.getTimestampMs().toEpochMilli()) / 1e3);
        }
        buffer.removeFirst(readyCount);
        if (!buffer.isEmpty()) oldestBufferedMs = now; // arrived after the drain began: they wait one more interval at most
    }

    private void missing(ProjectionBuffer.Entry e, Activation a) {
        HiddenStateSample s = e.sample().sample();
        String model = s.getModelId();
        String key = SaeRegistry.key(model, a.getHook());
        metrics.noSae(model, a.getHook());
        missingSince.merge(key, 1L, Long::sum);
        if (announced.get(key) != null) return;
        announced.put(key, e.source());
        long now = context.currentSystemTimeMs();
        Alert alert = Alerts.operational(NO_SAE + ":" + key, model, s.getModelVersion(), a.getHook(), NO_SAE, Severity.INFO,
                null, model + " " + a.getHook() + ": samples arrive but no SAE version is in force for this model and hook; "
                        + "they are counted (latentwatch_samples_without_sae_total) and checked by the norm detector only",
                Map.of("first_source", e.source()), now, s.getTimestampMs().toEpochMilli());
        context.forward(new Record<>(key, ProjectionOutput.of(alert), e.timestamp()));
        metrics.alert(NO_SAE, model, a.getHook());
    }

    private void deadLetter(ProjectionBuffer.Entry e, String detail) {
        DeadLetterReason reason = DeadLetterReason.SAE_DIMENSION_MISMATCH;
        Headers h = DeadLetter.headers(e.headers(), reason, detail, e.topic(), e.partition(), e.offset(), e.timestamp());
        context.forward(new Record<>(e.sample().sample().getModelId(), ProjectionOutput.dead(e.sample().original()), e.timestamp(), h));
        metrics.deadLettered(reason.label());
    }

    /**
     * Swaps and refusals seen by the registry become alerts (refusals WARNING, swaps INFO). Every
     * instance verifies and loads versions itself (a refusal can be local: an artifact this host cannot
     * read), so each alert names its instance and is a distinct fact in the log, not a duplicate.
     */
    private void emitRegistryEvents() {
        SaeRegistry.Event e;
        while ((e = registry.pollEvent()) != null) {
            String key = SaeRegistry.key(e.modelId(), e.hook());
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("rejected", Boolean.toString(e.rejected()));
            attrs.put("instance", instance);
            Alert a = Alerts.operational(SAE_VERSION_DETECTOR + ":" + key + ":" + e.version() + (e.rejected() ? ":rejected" : ":in-force")
                            + "@" + instance, e.modelId(), "", e.hook(), SAE_VERSION_DETECTOR,
                    e.rejected() ? Severity.WARNING : Severity.INFO, e.version(), "monitor instance " + instance + ": " + e.message(),
                    attrs, e.timeMs(), e.timeMs());
            context.forward(new Record<>(key, ProjectionOutput.of(a), e.timeMs()));
            metrics.alert(SAE_VERSION_DETECTOR, e.modelId(), e.hook());
            if (e.rejected()) metrics.versionRejected(e.modelId(), e.hook());
            else {
                metrics.versionSwapped(e.modelId(), e.hook());
                metrics.falseAlarmTargets(registry.current(e.modelId(), e.hook()));
            }
        }
    }

    /** The instance's advertised host:port (application.server), else host name and process id. */
    static String instanceName(Object applicationServer) {
        String s = applicationServer == null ? "" : applicationServer.toString().trim();
        if (!s.isEmpty()) return s;
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException ex) {
            host = "localhost";
        }
        return host + "/pid-" + ProcessHandle.current().pid();
    }

    private void logMissing() {
        long now = System.currentTimeMillis();
        if (missingSince.isEmpty() || now - lastMissingLog < 60_000) return;
        LOG.info("samples without an SAE in force in the last minute: {}", missingSince);
        missingSince.clear();
        lastMissingLog = now;
    }
}
