package io.latentwatch.monitor;

import io.latentwatch.interp.sae.SaeProjection;
import io.latentwatch.monitor.detect.CircuitMatcher;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.monitor.validate.HookName;
import io.latentwatch.monitor.validate.SampleValidator;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.CircuitSignature;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;
import io.latentwatch.schema.Severity;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Projects valid samples through the SAE in force for each (model, hook), in micro-batches.
 *
 * <p>Exactly-once: a sample is not projected when it arrives but written to a changelogged buffer
 * store keyed by its source (partition, offset). The buffer is drained when it holds
 * {@code monitor.batch.max.records} samples or when its oldest sample has waited
 * {@code monitor.batch.max.ms} of wall-clock time (a punctuator checks five times per interval).
 * Counting from the oldest sample rather than on a fixed tick matters under load: a drain of a
 * large SAE can take longer than the interval, and a fixed tick would then fire again at once and
 * drain a handful of rows, each drain paying for a full read of W_enc. When the samples arriving
 * are already older than {@code monitor.batch.backlog.ms} (the monitor is catching up on a backlog,
 * so latency is lost anyway), a drain waits for a full batch, up to ten times the interval: the
 * per-row cost of the encoder matmul falls several-fold from tens of rows to hundreds.
 *
 * <p>Draining forwards the outputs and deletes the buffered entries in the same task, so the store
 * changes, the output records and the input offsets commit in one transaction: after a crash a
 * sample is either still in the (restored) buffer or its outputs are committed — never both, never
 * neither.
 *
 * <p>A drain groups the rows of every buffered sample by (model, hook) and runs ONE encode (one
 * matmul with W_enc) and ONE decode per group (sparse for TopK SAEs: see {@link SaeProjection}), then
 * splits the results per activation. The SAE is acquired for the whole group, so a hot swap takes
 * effect between batches.
 */
final class ProjectionProcessor implements Processor<String, CheckedSample, String, ProjectionOutput> {
    private static final Logger LOG = LoggerFactory.getLogger(ProjectionProcessor.class);
    static final String NO_SAE = "no-sae";
    static final String SAE_VERSION_DETECTOR = "sae-version";

    private final SaeRegistry registry;
    private final Deserializer<HiddenStateSample> deserializer;
    private final MonitorMetrics metrics;
    private final MonitorConfig config;
    private final String bufferStore;
    private final String announcedStore;
    private final String circuitStore;
    private final int maxRecords;
    private final int maxLatents;
    private final Severity circuitSeverity;
    private final SampleValidator validator = new SampleValidator();
    private ProcessorContext<String, ProjectionOutput> context;
    private KeyValueStore<Bytes, byte[]> buffer;
    private KeyValueStore<String, String> announced;
    private KeyValueStore<String, long[]> circuitRates;
    private int buffered;
    private long oldestBufferedMs; // wall clock when the oldest sample in the buffer arrived (this instance)
    private long maxWaitMs;
    private long backlogMs;
    private long lastArrivalAgeMs; // wall clock minus the Kafka timestamp of the latest buffered sample
    private String instance; // which monitor instance swapped or refused a version
    private final Map<String, Long> missingSince = new TreeMap<>();
    private long lastMissingLog;

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
        this.maxLatents = config.integer(MonitorConfig.PROJECTION_MAX_LATENTS);
        this.circuitSeverity = Severity.valueOf(config.str(MonitorConfig.CIRCUIT_SEVERITY).toUpperCase(Locale.ROOT));
    }

    @Override
    public void init(ProcessorContext<String, ProjectionOutput> context) {
        this.context = context;
        this.buffer = context.getStateStore(bufferStore);
        this.announced = context.getStateStore(announcedStore);
        this.circuitRates = context.getStateStore(circuitStore);
        try (KeyValueIterator<Bytes, byte[]> it = buffer.all()) {
            while (it.hasNext()) { it.next(); buffered++; }
        }
        oldestBufferedMs = context.currentSystemTimeMs(); // restored samples wait at most one more interval
        instance = instanceName(context.appConfigs().get("application.server"));
        maxWaitMs = config.lng(MonitorConfig.BATCH_MAX_MS);
        backlogMs = config.lng(MonitorConfig.BATCH_BACKLOG_MS);
        context.schedule(Duration.ofMillis(Math.max(1, maxWaitMs / 5)), PunctuationType.WALL_CLOCK_TIME, t -> {
            long waited = t - oldestBufferedMs;
            boolean catchingUp = lastArrivalAgeMs > backlogMs;
            if (buffered == 0 || waited >= (catchingUp ? 10 * maxWaitMs : maxWaitMs)) drain();
        });
    }

    @Override
    public void process(Record<String, CheckedSample> record) {
        var meta = context.recordMetadata().orElseThrow();
        ByteBuffer key = ByteBuffer.allocate(12).putInt(meta.partition()).putLong(meta.offset());
        byte[] topic = meta.topic().getBytes(StandardCharsets.UTF_8);
        byte[] orig = record.value().original();
        ByteBuffer v = ByteBuffer.allocate(8 + 4 + topic.length + orig.length)
                .putLong(record.timestamp()).putInt(topic.length).put(topic).put(orig);
        buffer.put(Bytes.wrap(key.array()), v.array());
        long now = context.currentSystemTimeMs();
        if (buffered++ == 0) oldestBufferedMs = now;
        lastArrivalAgeMs = now - record.timestamp();
        if (buffered >= maxRecords) drain();
    }

    /** One buffered sample, decoded again (the buffer keeps the original bytes). */
    private record Pending(Bytes key, int partition, long offset, String topic, long timestamp, byte[] original,
                           HiddenStateSample sample, List<float[]> values) {
        String source() { return topic + "-" + partition + "@" + offset; }
    }

    /** A row block of one activation inside a (model, hook) group. */
    private record Slot(Pending p, int activation, int firstRow, int rows, boolean perHead) {}

    private void drain() {
        emitRegistryEvents();
        if (buffered == 0) { logMissing(); return; }
        List<Pending> pending = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = buffer.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                ByteBuffer k = ByteBuffer.wrap(kv.key.get());
                ByteBuffer v = ByteBuffer.wrap(kv.value);
                long ts = v.getLong();
                byte[] topic = new byte[v.getInt()];
                v.get(topic);
                byte[] orig = new byte[v.remaining()];
                v.get(orig);
                String t = new String(topic, StandardCharsets.UTF_8);
                HiddenStateSample s = deserializer.deserialize(t, orig);
                pending.add(new Pending(kv.key, k.getInt(), k.getLong(), t, ts, orig, s, validator.validate(s).values()));
            }
        }
        // Group rows by (model, hook), in buffer order.
        Map<String, List<Slot>> groups = new LinkedHashMap<>();
        Map<String, LoadedSae> saes = new HashMap<>();
        Map<Pending, List<String>> mismatches = new IdentityHashMap<>();
        try {
            for (Pending p : pending) {
                List<Activation> acts = p.sample().getActivations();
                for (int i = 0; i < acts.size(); i++) {
                    Activation a = acts.get(i);
                    String key = SaeRegistry.key(p.sample().getModelId(), a.getHook());
                    LoadedSae sae = saes.containsKey(key) ? saes.get(key) : acquire(key, p.sample().getModelId(), a.getHook(), saes);
                    if (sae == null) {
                        missing(p, a);
                        continue;
                    }
                    int size = p.values().get(i).length;
                    List<Integer> shape = a.getShape();
                    boolean perHead = isPerHead(a.getHook()) && shape.size() == 2 && shape.get(1) == sae.dIn();
                    if (!perHead && size != sae.dIn()) {
                        mismatches.computeIfAbsent(p, x -> new ArrayList<>()).add(a.getHook() + " has shape " + shape + " (" + size
                                + " values) but the SAE " + sae.versionId() + " in force expects " + sae.dIn());
                        continue;
                    }
                    List<Slot> g = groups.computeIfAbsent(key, x -> new ArrayList<>());
                    int first = g.isEmpty() ? 0 : g.get(g.size() - 1).firstRow() + g.get(g.size() - 1).rows();
                    g.add(new Slot(p, i, first, perHead ? shape.get(0) : 1, perHead));
                }
            }
            Map<Pending, Map<Integer, CircuitMatcher.HeadLatents>> headCodes = new IdentityHashMap<>();
            Map<Pending, List<LatentProjection>> bySample = new IdentityHashMap<>();
            for (Map.Entry<String, List<Slot>> g : groups.entrySet()) {
                project(saes.get(g.getKey()), g.getValue(), headCodes, bySample);
            }
            long now = context.currentSystemTimeMs();
            for (Pending p : pending) {
                List<LatentProjection> projections = bySample.getOrDefault(p, List.of());
                List<String> circuitMatches = circuits(p, headCodes.get(p), now);
                for (LatentProjection lp : projections) {
                    if (!circuitMatches.isEmpty() && isPerHead(lp.getHook())) lp.setCircuitMatches(circuitMatches);
                    context.forward(new Record<>(SaeRegistry.key(lp.getModelId(), lp.getHook()), ProjectionOutput.of(lp), p.timestamp()));
                }
                List<String> mm = mismatches.get(p);
                if (mm != null) deadLetter(p, String.join("; ", mm));
                metrics.endToEndSeconds((now - p.sample().getTimestampMs().toEpochMilli()) / 1e3);
                buffer.delete(p.key());
            }
            buffered = 0;
        } finally {
            saes.values().forEach(s -> { if (s != null) s.release(); });
        }
        logMissing();
    }

    private LoadedSae acquire(String key, String model, String hook, Map<String, LoadedSae> saes) {
        LoadedSae s = registry.acquire(model, hook);
        saes.put(key, s);
        return s;
    }

    /** Per-head hooks, one row per head: hook_z [n_heads, d_head] and hook_result [n_heads, d_model]. */
    static boolean isPerHead(String hook) {
        return HookName.parse(hook).map(h -> "attn.hook_z".equals(h.point()) || "attn.hook_result".equals(h.point()))
                .orElse(hook.endsWith("attn.hook_z") || hook.endsWith("attn.hook_result"));
    }

    private void project(LoadedSae sae, List<Slot> slots, Map<Pending, Map<Integer, CircuitMatcher.HeadLatents>> headCodes,
                         Map<Pending, List<LatentProjection>> bySample) {
        int dIn = sae.dIn();
        Slot last = slots.get(slots.size() - 1);
        int rows = last.firstRow() + last.rows();
        float[] x = new float[rows * dIn];
        for (Slot s : slots) System.arraycopy(s.p().values().get(s.activation()), 0, x, s.firstRow() * dIn, s.rows() * dIn);
        // One encoder matmul for the whole group; a TopK SAE is decoded sparsely (SaeProjection).
        SaeProjection proj = SaeProjection.of(sae.sae(), x, rows, maxLatents);
        int k = proj.width();
        metrics.batch(rows);
        for (Slot s : slots) {
            HiddenStateSample smp = s.p().sample();
            Activation a = smp.getActivations().get(s.activation());
            int[] codes = s.perHead() ? new int[s.rows()] : null;
            for (int r = 0; r < s.rows(); r++) {
                int row = s.firstRow() + r;
                List<Integer> ids = new ArrayList<>();
                List<Float> vals = new ArrayList<>();
                for (int j = 0; j < k; j++) {
                    float v = proj.value(row, j);
                    if (!(v > 0)) break;
                    ids.add(proj.id(row, j));
                    vals.add(v);
                }
                if (codes != null) codes[r] = ids.isEmpty() ? -1 : ids.get(0);
                LatentProjection lp = LatentProjection.newBuilder()
                        .setModelId(smp.getModelId()).setModelVersion(smp.getModelVersion()).setHook(a.getHook())
                        .setHead(s.perHead() ? r : null).setSaeVersion(sae.versionId()).setRequestId(smp.getRequestId())
                        .setNodeId(smp.getNodeId()).setPosition(a.getPosition()).setSampleTimestampMs(smp.getTimestampMs())
                        .setSource(s.p().source()).setLatents(ids).setValues(vals).setL0(proj.l0(row))
                        .setReconError(proj.reconError(row)).setBatchSize(rows).setCircuitMatches(List.of()).build();
                bySample.computeIfAbsent(s.p(), q -> new ArrayList<>()).add(lp);
                metrics.projected(smp.getModelId(), a.getHook());
            }
            if (codes != null) {
                int layer = HookName.parse(a.getHook()).map(HookName::layer).orElse(-1);
                headCodes.computeIfAbsent(s.p(), q -> new TreeMap<>()).put(layer, new CircuitMatcher.HeadLatents(codes,
                        s.p().values().get(s.activation())));
            }
        }
    }

    /** Circuit signatures of the model matched against this request's head codes; keeps a rate per circuit. */
    private List<String> circuits(Pending p, Map<Integer, CircuitMatcher.HeadLatents> codes, long now) {
        if (codes == null || codes.isEmpty()) return List.of();
        String model = p.sample().getModelId();
        List<CircuitSignature> sigs = registry.circuits(model);
        if (sigs.isEmpty()) return List.of();
        List<CircuitMatcher.Match> matches = CircuitMatcher.match(sigs, codes);
        List<String> names = new ArrayList<>();
        for (CircuitSignature s : sigs) {
            String key = model + "|" + s.getName();
            long[] rate = circuitRates.get(key);
            if (rate == null) rate = new long[2];
            rate[0]++;
            CircuitMatcher.Match m = matches.stream().filter(x -> x.circuit().equals(s.getName())).findFirst().orElse(null);
            if (m != null) rate[1]++;
            circuitRates.put(key, rate);
            metrics.circuitRate(model, s.getName(), (double) rate[1] / rate[0]);
            if (m == null) continue;
            names.add(s.getName());
            Map<String, String> attrs = new LinkedHashMap<>();
            attrs.put("source", p.source());
            attrs.put("circuit", s.getName());
            attrs.put("matched_heads", String.join(",", m.matched()));
            attrs.put("circuit_rate", Alerts.fmt((double) rate[1] / rate[0]));
            attrs.put("circuit_matches", Long.toString(rate[1]));
            attrs.put("circuit_samples", Long.toString(rate[0]));
            String hook = "blocks.*.attn (per-head codes)";
            Alert a = Alerts.operational(CircuitMatcher.NAME + ":" + p.source() + ":" + s.getName(), model,
                    p.sample().getModelVersion(), hook, CircuitMatcher.NAME, circuitSeverity, null,
                    String.format(Locale.ROOT, "%s: circuit '%s' active — %s; rate %.3f over %d sampled requests", model, s.getName(),
                            m.describe(), (double) rate[1] / rate[0], rate[0]),
                    attrs, now, p.sample().getTimestampMs().toEpochMilli());
            a.setScore(m.score());
            a.setThreshold(m.threshold());
            a.setRequestId(p.sample().getRequestId());
            a.setNodeId(p.sample().getNodeId());
            context.forward(new Record<>(SaeRegistry.key(model, hook), ProjectionOutput.of(a), p.timestamp()));
            metrics.alert(CircuitMatcher.NAME, model, hook);
            metrics.score(CircuitMatcher.NAME, m.score());
        }
        return names;
    }

    private void missing(Pending p, Activation a) {
        String model = p.sample().getModelId();
        String key = SaeRegistry.key(model, a.getHook());
        metrics.noSae(model, a.getHook());
        missingSince.merge(key, 1L, Long::sum);
        if (announced.get(key) != null) return;
        announced.put(key, p.source());
        long now = context.currentSystemTimeMs();
        Alert alert = Alerts.operational(NO_SAE + ":" + key, model, p.sample().getModelVersion(), a.getHook(), NO_SAE, Severity.INFO,
                null, model + " " + a.getHook() + ": samples arrive but no SAE version is in force for this model and hook; "
                        + "they are counted (latentwatch_samples_without_sae_total) and checked by the norm detector only",
                Map.of("first_source", p.source()), now, p.sample().getTimestampMs().toEpochMilli());
        context.forward(new Record<>(key, ProjectionOutput.of(alert), p.timestamp()));
        metrics.alert(NO_SAE, model, a.getHook());
    }

    private void deadLetter(Pending p, String detail) {
        RecordHeaders h = new RecordHeaders();
        h.add(DeadLetter.REASON, "sae-dimension-mismatch".getBytes(StandardCharsets.UTF_8));
        h.add(DeadLetter.DETAIL, detail.getBytes(StandardCharsets.UTF_8));
        h.add(DeadLetter.SOURCE_TOPIC, p.topic().getBytes(StandardCharsets.UTF_8));
        h.add(DeadLetter.SOURCE_PARTITION, Integer.toString(p.partition()).getBytes(StandardCharsets.UTF_8));
        h.add(DeadLetter.SOURCE_OFFSET, Long.toString(p.offset()).getBytes(StandardCharsets.UTF_8));
        h.add(DeadLetter.SOURCE_TIMESTAMP, Long.toString(p.timestamp()).getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<>(p.sample().getModelId(), ProjectionOutput.dead(p.original()), p.timestamp(), h));
        metrics.deadLettered("sae-dimension-mismatch");
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
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException ex) {
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
