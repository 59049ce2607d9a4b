package io.latentwatch.monitor;

import io.latentwatch.interp.hooks.HookName;
import io.latentwatch.interp.sae.SaeProjection;
import io.latentwatch.monitor.detect.CircuitMatcher;
import io.latentwatch.monitor.sae.LoadedSae;
import io.latentwatch.monitor.sae.SaeRegistry;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LatentProjection;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One micro-batch through the SAEs in force, free of Kafka: the rows of every buffered sample are
 * grouped by (model, hook) and each group is ONE encode (one [rows, d_in] x [d_in, d_sae] matmul
 * with W_enc) and ONE decode (sparse for TopK SAEs: see {@link SaeProjection}), then split back per
 * activation into {@link LatentProjection}s. Per-head hooks ({@code attn.hook_z} [n_heads, d_head],
 * {@code attn.hook_result} [n_heads, d_model]) contribute one row per head, and each head's strongest
 * latent is its code for the circuit matcher. The SAE is acquired for the whole group, so a hot swap
 * takes effect between batches.
 */
final class BatchProjection {
    /** An activation of a sample for which no SAE is in force. */
    record Missing(ProjectionBuffer.Entry entry, Activation activation) {}

    /** What the batch yields, per buffered sample (identity maps: one entry per buffered record). */
    record Result(Map<ProjectionBuffer.Entry, List<LatentProjection>> projections,
                  Map<ProjectionBuffer.Entry, Map<Integer, CircuitMatcher.HeadLatents>> headCodes,
                  Map<ProjectionBuffer.Entry, List<String>> mismatches, List<Missing> missing) {}

    /** A row block of one activation inside a (model, hook) group. */
    private record Slot(ProjectionBuffer.Entry entry, int activation, int firstRow, int rows, boolean perHead) {}

    private final SaeRegistry registry;
    private final MonitorMetrics metrics;
    private final int maxLatents;

    BatchProjection(SaeRegistry registry, MonitorMetrics metrics, int maxLatents) {
        this.registry = registry;
        this.metrics = metrics;
        this.maxLatents = maxLatents;
    }

    Result project(List<ProjectionBuffer.Entry> batch) {
        Map<String, List<Slot>> groups = new LinkedHashMap<>();
        Map<String, LoadedSae> saes = new HashMap<>();
        Result out = new Result(new IdentityHashMap<>(), new IdentityHashMap<>(), new IdentityHashMap<>(), new ArrayList<>());
        try {
            for (ProjectionBuffer.Entry e : batch) {
                HiddenStateSample smp = e.sample().sample();
                List<Activation> acts = smp.getActivations();
                for (int i = 0; i < acts.size(); i++) {
                    Activation a = acts.get(i);
                    String key = SaeRegistry.key(smp.getModelId(), a.getHook());
                    LoadedSae sae = saes.computeIfAbsent(key, x -> registry.acquire(smp.getModelId(), a.getHook()));
                    if (sae == null) {
                        out.missing().add(new Missing(e, a));
                        continue;
                    }
                    int size = e.sample().values().get(i).length;
                    List<Integer> shape = a.getShape();
                    boolean perHead = isPerHead(a.getHook()) && shape.size() == 2 && shape.get(1) == sae.dIn();
                    if (!perHead && size != sae.dIn()) {
                        out.mismatches().computeIfAbsent(e, x -> new ArrayList<>()).add(a.getHook() + " has shape " + shape + " ("
                                + size + " values) but the SAE " + sae.versionId() + " in force expects " + sae.dIn());
                        continue;
                    }
                    List<Slot> g = groups.computeIfAbsent(key, x -> new ArrayList<>());
                    int first = g.isEmpty() ? 0 : g.get(g.size() - 1).firstRow() + g.get(g.size() - 1).rows();
                    g.add(new Slot(e, i, first, perHead ? shape.get(0) : 1, perHead));
                }
            }
            for (Map.Entry<String, List<Slot>> g : groups.entrySet()) project(saes.get(g.getKey()), g.getValue(), out);
        } finally {
            saes.values().forEach(s -> { if (s != null) s.release(); });
        }
        return out;
    }

    /** Per-head hooks, one row per head: hook_z [n_heads, d_head] and hook_result [n_heads, d_model]. */
    static boolean isPerHead(String hook) {
        return HookName.parse(hook).map(HookName::isHeadVector).orElse(false);
    }

    private void project(LoadedSae sae, List<Slot> slots, Result out) {
        int dIn = sae.dIn();
        Slot last = slots.get(slots.size() - 1);
        int rows = last.firstRow() + last.rows();
        float[] x = new float[rows * dIn];
        for (Slot s : slots) {
            System.arraycopy(s.entry().sample().values().get(s.activation()), 0, x, s.firstRow() * dIn, s.rows() * dIn);
        }
        SaeProjection proj = SaeProjection.of(sae.sae(), x, rows, maxLatents);
        int k = proj.width();
        metrics.batch(rows);
        for (Slot s : slots) {
            HiddenStateSample smp = s.entry().sample().sample();
            Activation a = smp.getActivations().get(s.activation());
            int[] codes = s.perHead() ? new int[s.rows()] : null;
            List<LatentProjection> mine = out.projections().computeIfAbsent(s.entry(), q -> new ArrayList<>());
            for (int r = 0; r < s.rows(); r++) {
                int row = s.firstRow() + r;
                List<Integer> ids = new ArrayList<>(k);
                List<Float> vals = new ArrayList<>(k);
                for (int j = 0; j < k; j++) {
                    float v = proj.value(row, j);
                    if (!(v > 0)) break;
                    ids.add(proj.id(row, j));
                    vals.add(v);
                }
                if (codes != null) codes[r] = ids.isEmpty() ? -1 : ids.get(0);
                mine.add(LatentProjection.newBuilder()
                        .setModelId(smp.getModelId()).setModelVersion(smp.getModelVersion()).setHook(a.getHook())
                        .setHead(s.perHead() ? r : null).setSaeVersion(sae.versionId()).setRequestId(smp.getRequestId())
                        .setNodeId(smp.getNodeId()).setPosition(a.getPosition()).setSampleTimestampMs(smp.getTimestampMs())
                        .setSource(s.entry().source()).setLatents(ids).setValues(vals).setL0(proj.l0(row))
                        .setReconError(proj.reconError(row)).setBatchSize(rows).setCircuitMatches(List.of()).build());
            }
            metrics.projected(smp.getModelId(), a.getHook(), s.rows());
            if (codes != null) {
                int layer = HookName.parse(a.getHook()).map(HookName::layer).orElse(-1);
                out.headCodes().computeIfAbsent(s.entry(), q -> new TreeMap<>()).put(layer, new CircuitMatcher.HeadLatents(codes,
                        s.entry().sample().values().get(s.activation())));
            }
        }
    }
}
