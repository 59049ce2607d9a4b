package io.latentwatch.monitor.detect;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tumbling window of latent firing counts for a (model, hook): how many activations were
 * projected ({@code n}) and, per latent, on how many it was active. Counted per SAE version (a swap
 * starts a new window) and stored sparsely, since most latents of a large dictionary fire rarely.
 *
 * <p>Kept as two sorted primitive arrays (latent ids and their counts). The monitor counts its open
 * windows in a log-structured store (one small entry per activation, see the monitor's DriftLog) and
 * gives them out as this class; the serde's layout is version string, index, n, size, then
 * (id, count) pairs in id order.
 */
public final class DriftWindow {
    private final String saeVersion;
    private final int index;
    private final int n;
    private final int[] ids;     // ascending
    private final int[] counts;  // counts[i] belongs to ids[i]

    private DriftWindow(String saeVersion, int index, int n, int[] ids, int[] counts) {
        this.saeVersion = saeVersion;
        this.index = index;
        this.n = n;
        this.ids = ids;
        this.counts = counts;
    }

    public static DriftWindow start(String saeVersion, int index) { return new DriftWindow(saeVersion, index, 0, new int[0], new int[0]); }

    /** A window from dense counts (index = latent id), as the monitor's log-structured store keeps them. */
    public static DriftWindow ofCounts(String saeVersion, int index, int n, int[] dense) {
        int m = 0;
        for (int c : dense) if (c > 0) m++;
        int[] ids = new int[m], counts = new int[m];
        for (int i = 0, o = 0; i < dense.length; i++) {
            if (dense[i] > 0) { ids[o] = i; counts[o++] = dense[i]; }
        }
        return new DriftWindow(saeVersion, index, n, ids, counts);
    }

    public String saeVersion() { return saeVersion; }
    public int index() { return index; }
    /** Activations counted in this window. */
    public int n() { return n; }
    /** Number of distinct latents that fired in this window. */
    public int distinct() { return ids.length; }

    /** This window with one more activation whose active latents are {@code active} (duplicates count once). */
    public DriftWindow add(Iterable<Integer> active) {
        int m = 0;
        int[] add = new int[16];
        for (int id : active) {
            if (m == add.length) add = Arrays.copyOf(add, m * 2);
            add[m++] = id;
        }
        Arrays.sort(add, 0, m);
        int[] outIds = new int[ids.length + m], outCounts = new int[ids.length + m];
        int i = 0, j = 0, o = 0;
        while (i < ids.length || j < m) {
            if (j < m && j > 0 && add[j] == add[j - 1]) { j++; continue; } // a latent listed twice fires once
            if (j >= m || (i < ids.length && ids[i] < add[j])) {
                outIds[o] = ids[i]; outCounts[o++] = counts[i++];
            } else if (i >= ids.length || add[j] < ids[i]) {
                outIds[o] = add[j++]; outCounts[o++] = 1;
            } else {
                outIds[o] = ids[i]; outCounts[o++] = counts[i++] + 1; j++;
            }
        }
        return new DriftWindow(saeVersion, index, n + 1, Arrays.copyOf(outIds, o), Arrays.copyOf(outCounts, o));
    }

    /** Firing count of {@code latent} in this window. */
    public int count(int latent) {
        int i = Arrays.binarySearch(ids, latent);
        return i < 0 ? 0 : counts[i];
    }

    /** Counts as a dense vector over {@code dSae} latents (ids outside it are ignored). */
    public int[] dense(int dSae) {
        int[] d = new int[dSae];
        for (int i = 0; i < ids.length; i++) if (ids[i] >= 0 && ids[i] < dSae) d[ids[i]] = counts[i];
        return d;
    }

    /** Up to {@code limit} latents by descending count (ties by id): latent id to count. */
    public Map<Integer, Integer> top(int limit) {
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> counts[a] != counts[b] ? Integer.compare(counts[b], counts[a]) : Integer.compare(ids[a], ids[b]));
        Map<Integer, Integer> out = new LinkedHashMap<>();
        for (int r = 0; r < Math.min(limit, order.length); r++) out.put(ids[order[r]], counts[order[r]]);
        return out;
    }

    public static Serde<DriftWindow> serde() {
        Serializer<DriftWindow> ser = (topic, w) -> {
            if (w == null) return null;
            byte[] v = w.saeVersion.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + v.length + 12 + 8 * w.ids.length);
            b.putInt(v.length).put(v).putInt(w.index).putInt(w.n).putInt(w.ids.length);
            for (int i = 0; i < w.ids.length; i++) b.putInt(w.ids[i]).putInt(w.counts[i]);
            return b.array();
        };
        Deserializer<DriftWindow> de = (topic, bytes) -> {
            if (bytes == null) return null;
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte[] v = new byte[b.getInt()];
            b.get(v);
            int index = b.getInt(), n = b.getInt(), size = b.getInt();
            int[] ids = new int[size], counts = new int[size];
            for (int i = 0; i < size; i++) {
                ids[i] = b.getInt();
                counts[i] = b.getInt();
            }
            for (int i = 1; i < size; i++) {
                if (ids[i] <= ids[i - 1]) throw new IllegalStateException("drift window latents are not in ascending order at " + i);
            }
            return new DriftWindow(new String(v, StandardCharsets.UTF_8), index, n, ids, counts);
        };
        return Serdes.serdeFrom(ser, de);
    }
}
