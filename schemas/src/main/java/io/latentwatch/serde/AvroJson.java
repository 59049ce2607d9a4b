package io.latentwatch.serde;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * Avro values as JSON for people reading a topic: records become objects with their field names,
 * unions are written as the branch's value (not Avro's {@code {"type": value}} wrapping),
 * {@code timestamp-millis} as ISO-8601 text, and bytes as {@code {"bytes": n, "base64": "..."}}
 * (the raw bytes of an activation vector mean nothing as text). A record {@link #withRecordHook
 * hook} may add fields to a record of a given type, e.g. the decoded values of an activation.
 */
public final class AvroJson {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final Map<String, BiConsumer<GenericRecord, ObjectNode>> hooks;

    private AvroJson(Map<String, BiConsumer<GenericRecord, ObjectNode>> hooks) {
        this.hooks = Map.copyOf(hooks);
    }

    public static AvroJson plain() {
        return new AvroJson(Map.of());
    }

    /** A converter that also calls {@code hook} on every record whose schema's full name is {@code fullName}. */
    public AvroJson withRecordHook(String fullName, BiConsumer<GenericRecord, ObjectNode> hook) {
        HashMap<String, BiConsumer<GenericRecord, ObjectNode>> m = new HashMap<>(hooks);
        m.put(fullName, hook);
        return new AvroJson(m);
    }

    /** {@code value} (a record, or any Avro value) as JSON. */
    public JsonNode toJson(Object value, Schema schema) {
        if (value == null) {
            return F.nullNode();
        }
        switch (schema.getType()) {
            case UNION: {
                int branch = GenericData.get().resolveUnion(schema, value);
                return toJson(value, schema.getTypes().get(branch));
            }
            case RECORD: {
                GenericRecord r = (GenericRecord) value;
                ObjectNode o = F.objectNode();
                for (Schema.Field f : r.getSchema().getFields()) {
                    o.set(f.name(), toJson(r.get(f.pos()), f.schema()));
                }
                BiConsumer<GenericRecord, ObjectNode> hook = hooks.get(r.getSchema().getFullName());
                if (hook != null) {
                    hook.accept(r, o);
                }
                return o;
            }
            case ARRAY: {
                ArrayNode a = F.arrayNode();
                for (Object e : (Collection<?>) value) {
                    a.add(toJson(e, schema.getElementType()));
                }
                return a;
            }
            case MAP: {
                ObjectNode o = F.objectNode();
                ((Map<?, ?>) value).forEach((k, v) -> o.set(k.toString(), toJson(v, schema.getValueType())));
                return o;
            }
            case BYTES:
                return bytes((ByteBuffer) value);
            case FIXED:
                return bytes(ByteBuffer.wrap(((GenericFixed) value).bytes()));
            case ENUM:
                return F.textNode(value instanceof GenericEnumSymbol<?> g ? g.toString() : value.toString());
            case STRING:
                return F.textNode(value.toString());
            case BOOLEAN:
                return F.booleanNode((Boolean) value);
            case INT:
                return F.numberNode((Integer) value);
            case LONG:
                return longValue(value, schema.getLogicalType());
            case FLOAT:
                return F.numberNode((Float) value);
            case DOUBLE:
                return F.numberNode((Double) value);
            case NULL:
                return F.nullNode();
            default:
                return F.textNode(value.toString());
        }
    }

    private static JsonNode longValue(Object value, LogicalType logical) {
        if (value instanceof Instant i) {
            return F.textNode(i.toString());
        }
        long v = (Long) value;
        if (logical instanceof LogicalTypes.TimestampMillis) {
            return F.textNode(Instant.ofEpochMilli(v).toString());
        }
        return F.numberNode(v);
    }

    /** {@code {"bytes": n, "base64": "..."}}. */
    public static ObjectNode bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] raw = new byte[d.remaining()];
        d.get(raw);
        ObjectNode o = F.objectNode();
        o.put("bytes", raw.length);
        o.put("base64", Base64.getEncoder().encodeToString(raw));
        return o;
    }
}
