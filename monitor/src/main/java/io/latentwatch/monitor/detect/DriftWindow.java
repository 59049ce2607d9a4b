package io.latentwatch.monitor.detect;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * One tumbling window of latent firing counts for a (model, hook): how many activations were
 * projected ({@code n}) and, per latent, on how many it was active. Counted per SAE version (a swap
 * starts a new window) and stored sparsely, since most latents of a large dictionary fire rarely.
 */
public record DriftWindow(String saeVersion, int index, int n, Map<Integer, Integer> counts) {

    public static DriftWindow start(String saeVersion, int index) { return new DriftWindow(saeVersion, index, 0, new TreeMap<>()); }

    public DriftWindow add(Iterable<Integer> active) {
        for (int id : active) counts.merge(id, 1, Integer::sum); // in place: the store holds the serialized copy
        return new DriftWindow(saeVersion, index, n + 1, counts);
    }

    public int[] dense(int dSae) {
        int[] d = new int[dSae];
        counts.forEach((k, v) -> { if (k >= 0 && k < dSae) d[k] = v; });
        return d;
    }

    public static Serde<DriftWindow> serde() {
        Serializer<DriftWindow> ser = (topic, w) -> {
            if (w == null) return null;
            byte[] v = w.saeVersion.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + v.length + 12 + 8 * w.counts.size());
            b.putInt(v.length).put(v).putInt(w.index).putInt(w.n).putInt(w.counts.size());
            w.counts.forEach((k, c) -> b.putInt(k).putInt(c));
            return b.array();
        };
        Deserializer<DriftWindow> de = (topic, bytes) -> {
            if (bytes == null) return null;
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte[] v = new byte[b.getInt()];
            b.get(v);
            int index = b.getInt(), n = b.getInt(), size = b.getInt();
            Map<Integer, Integer> c = new TreeMap<>();
            for (int i = 0; i < size; i++) c.put(b.getInt(), b.getInt());
            return new DriftWindow(new String(v, StandardCharsets.UTF_8), index, n, c);
        };
        return Serdes.serdeFrom(ser, de);
    }
}
