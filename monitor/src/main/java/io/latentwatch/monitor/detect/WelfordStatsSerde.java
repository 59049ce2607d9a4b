package io.latentwatch.monitor.detect;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** The state-store (and changelog) encoding of {@link WelfordStats}: 24 bytes, big-endian. */
public final class WelfordStatsSerde implements Serde<WelfordStats> {
    @Override
    public Serializer<WelfordStats> serializer() {
        return (topic, s) -> s == null ? null : s.toBytes();
    }

    @Override
    public Deserializer<WelfordStats> deserializer() {
        return (topic, b) -> WelfordStats.fromBytes(b);
    }
}
