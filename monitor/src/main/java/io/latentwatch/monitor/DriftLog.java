package io.latentwatch.monitor;

import io.latentwatch.monitor.detect.DriftWindow;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The latent-drift windows of one task, log-structured: per (model, hook) the open window's firing
 * counts live in memory (a dense int per latent), and the changelogged store holds a header (SAE
 * version, window index) and one small entry per counted activation (its active latent ids). A
 * projection costs one put of ~4·k bytes instead of re-serialising a window that grows to tens of
 * thousands of (id, count) pairs; a closed window costs one delete per entry.
 *
 * <p>Keys are {@code modelId|hook} + NUL + {@code "w"} for the header and + NUL + {@code "n"} + the
 * activation's 10-digit ordinal, so a prefix scan reads one window back in order. The in-memory copy
 * is rebuilt from the store on first use after every {@link #reset} (task start, and re-initialisation
 * after an aborted transaction, when the store has been rolled back), so it always agrees with what
 * committed.
 */
public final class DriftLog {
    private static final char SEP = '\u0000';

    /** An open window: counts over latent ids below {@code counts.length}. */
    static final class Open {
        String saeVersion;
        int index;
        int n;
        int[] counts;

        DriftWindow snapshot() { return DriftWindow.ofCounts(saeVersion, index, n, counts); }
    }

    private final KeyValueStore<String, byte[]> store;
    private final Map<String, Open> open = new HashMap<>();

    DriftLog(KeyValueStore<String, byte[]> store) { this.store = store; }

    void reset() { open.clear(); }

    /**
     * Counts one activation of {@code key} with active {@code latents}, projected by {@code saeVersion} of
     * {@code dSae} latents; a new SAE version starts window 0 again. Returns the window as it stands.
     */
    Open add(String key, String saeVersion, int dSae, List<Integer> latents) {
        Open w = open.computeIfAbsent(key, k -> load(store, k));
        if (w.saeVersion == null || !w.saeVersion.equals(saeVersion)) {
            clearEntries(key, w.n);
            w.saeVersion = saeVersion;
            w.index = 0;
            w.n = 0;
            w.counts = new int[dSae];
            store.put(key + SEP + "w", header(saeVersion, 0));
        }
        if (w.counts.length < dSae) w.counts = Arrays.copyOf(w.counts, dSae);
        int[] ids = distinct(latents);
        for (int id : ids) if (id >= 0 && id < w.counts.length) w.counts[id]++;
        store.put(entryKey(key, w.n), ints(ids));
        w.n++;
        return w;
    }

    /** Closes {@code key}'s open window (after its drift test) and opens the next one. */
    void next(String key) {
        Open w = open.get(key);
        clearEntries(key, w.n);
        w.index++;
        w.n = 0;
        Arrays.fill(w.counts, 0);
        store.put(key + SEP + "w", header(w.saeVersion, w.index));
    }

    private void clearEntries(String key, int n) {
        for (int i = 0; i < n; i++) store.delete(entryKey(key, i));
    }

    /** The open window of {@code key} as stored (for queries from other threads: reads the store, not memory). */
    public static DriftWindow read(ReadOnlyKeyValueStore<String, byte[]> store, String key) {
        Open w = load(store, key);
        return w.saeVersion == null ? null : w.snapshot();
    }

    private static Open load(ReadOnlyKeyValueStore<String, byte[]> store, String key) {
        Open w = new Open();
        w.counts = new int[0];
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(key + SEP, new StringSerializer())) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                String suffix = kv.key.substring(key.length() + 1);
                ByteBuffer b = ByteBuffer.wrap(kv.value);
                if (suffix.equals("w")) {
                    byte[] v = new byte[b.getInt()];
                    b.get(v);
                    w.saeVersion = new String(v, StandardCharsets.UTF_8);
                    w.index = b.getInt();
                } else {
                    w.n++;
                    while (b.hasRemaining()) {
                        int id = b.getInt();
                        if (id < 0) continue;
                        if (id >= w.counts.length) w.counts = Arrays.copyOf(w.counts, Math.max(id + 1, 2 * w.counts.length));
                        w.counts[id]++;
                    }
                }
            }
        }
        return w;
    }

    private static String entryKey(String key, int ordinal) {
        String d = Integer.toString(ordinal);
        return key + SEP + "n" + "0000000000".substring(d.length()) + d;
    }

    private static byte[] header(String version, int index) {
        byte[] v = version.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + v.length).putInt(v.length).put(v).putInt(index).array();
    }

    private static int[] distinct(List<Integer> latents) {
        int[] a = new int[latents.size()];
        for (int i = 0; i < a.length; i++) a[i] = latents.get(i);
        Arrays.sort(a);
        int m = 0;
        for (int i = 0; i < a.length; i++) if (i == 0 || a[i] != a[i - 1]) a[m++] = a[i]; // a latent listed twice fires once
        return Arrays.copyOf(a, m);
    }

    private static byte[] ints(int[] ids) {
        ByteBuffer b = ByteBuffer.allocate(4 * ids.length);
        for (int id : ids) b.putInt(id);
        return b.array();
    }
}
