package io.latentwatch.monitor;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The projection's micro-batch: the decoded samples in memory, and in a changelogged store only a
 * reference to each one's source record (partition, offset → timestamp, topic), 12 + ~40 bytes
 * instead of the full activation vector.
 *
 * <p>Why a reference is enough: the store entry, the batch's outputs and the consumed offsets commit
 * in one exactly-once transaction. After a crash or a restart, an entry still in the (restored) store
 * names a sample whose offset was committed but whose outputs were not; the input topic still holds
 * it (retention is days, a batch waits milliseconds), so {@link #restored()} lists what to read back
 * and {@link #recover} puts the re-decoded samples in place. Entries written by an older version
 * carry the original bytes after the topic; they are used as they are.
 */
final class ProjectionBuffer {
    /** One buffered sample with where it came from; {@code headers} are the source record's own. */
    record Entry(Bytes key, String topic, int partition, long offset, long timestamp, CheckedSample sample, Headers headers) {
        String source() { return topic + "-" + partition + "@" + offset; }
    }

    /** A store entry restored without its sample: what {@link InputReplay} reads back. */
    record Ref(Bytes key, String topic, int partition, long offset, long timestamp, byte[] original) {}

    private final KeyValueStore<Bytes, byte[]> store;
    private final List<Entry> entries = new ArrayList<>();

    ProjectionBuffer(KeyValueStore<Bytes, byte[]> store) { this.store = store; }

    /** Buffers {@code sample}, read from {@code topic}-{@code partition} at {@code offset}. */
    void add(String topic, int partition, long offset, long timestamp, CheckedSample sample, Headers headers) {
        Bytes key = key(partition, offset);
        store.put(key, value(timestamp, topic));
        entries.add(new Entry(key, topic, partition, offset, timestamp, sample, headers));
    }

    /** Adds a sample read back after a restart (its store entry exists already). */
    void recover(Ref ref, CheckedSample sample, Headers headers) {
        entries.add(new Entry(ref.key(), ref.topic(), ref.partition(), ref.offset(), ref.timestamp(), sample, headers));
    }

    /** Drops a restored entry whose sample cannot be recovered (already reported by the caller). */
    void forget(Ref ref) { store.delete(ref.key()); }

    int size() { return entries.size(); }

    boolean isEmpty() { return entries.isEmpty(); }

    /** The buffered samples in arrival order. */
    List<Entry> entries() { return entries; }

    /** Drops the first {@code n} samples (projected): the store deletes commit with the batch's outputs. */
    void removeFirst(int n) {
        List<Entry> done = entries.subList(0, n);
        for (Entry e : done) store.delete(e.key());
        done.clear();
    }

    /** The entries the store holds at start-up (none after a clean drain): samples to read back from the input. */
    List<Ref> restored() {
        List<Ref> refs = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                ByteBuffer k = ByteBuffer.wrap(kv.key.get());
                ByteBuffer v = ByteBuffer.wrap(kv.value);
                long ts = v.getLong();
                byte[] topic = new byte[v.getInt()];
                v.get(topic);
                byte[] original = null;
                if (v.hasRemaining()) { // written by a version that buffered the full record
                    original = new byte[v.remaining()];
                    v.get(original);
                }
                refs.add(new Ref(kv.key, new String(topic, StandardCharsets.UTF_8), k.getInt(), k.getLong(), ts, original));
            }
        }
        return refs;
    }

    static Bytes key(int partition, long offset) {
        return Bytes.wrap(ByteBuffer.allocate(12).putInt(partition).putLong(offset).array());
    }

    static byte[] value(long timestamp, String topic) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(12 + t.length).putLong(timestamp).putInt(t.length).put(t).array();
    }
}
