package io.latentwatch.monitor;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.nio.ByteBuffer;

/** A long[2] (e.g. samples seen, matches) as 16 bytes. */
final class LongPairSerde implements Serde<long[]> {
    @Override
    public Serializer<long[]> serializer() {
        return (t, v) -> v == null ? null : ByteBuffer.allocate(16).putLong(v[0]).putLong(v[1]).array();
    }

    @Override
    public Deserializer<long[]> deserializer() {
        return (t, b) -> {
            if (b == null) return null;
            ByteBuffer bb = ByteBuffer.wrap(b);
            return new long[] {bb.getLong(), bb.getLong()};
        };
    }
}
