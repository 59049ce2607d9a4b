package io.latentwatch.serde;

import java.nio.ByteBuffer;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The Confluent wire format of a record value: one magic byte {@code 0}, the schema id as a 4-byte
 * big-endian int, then the Avro binary encoding of the record. This class only reads the framing
 * (for dead-letter reasons, metrics and tests); encoding and decoding are Apicurio's.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** The schema id in the first five bytes; a clear error if they are not the Confluent framing. */
    public static int schemaId(byte[] value) {
        if (value == null) {
            throw new SerializationException("No value: a null record value carries no schema id");
        }
        if (value.length < HEADER_SIZE) {
            throw new SerializationException("Value of " + value.length + " bytes is shorter than the 5-byte Confluent header");
        }
        if (value[0] != MAGIC_BYTE) {
            throw new SerializationException(String.format("Value starts with byte 0x%02x, expected magic byte 0x00 of the Confluent wire format", value[0]));
        }
        return ByteBuffer.wrap(value, 1, 4).getInt();
    }

    /** True if the value has the Confluent framing (magic byte 0 and room for an id). */
    public static boolean isFramed(byte[] value) {
        return value != null && value.length >= HEADER_SIZE && value[0] == MAGIC_BYTE;
    }
}
