package io.latentwatch.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.schema.Alert;
import io.latentwatch.schema.Explanation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.LabeledExample;
import io.latentwatch.schema.SaeVersion;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.Test;

/**
 * Backward compatibility of the topic contracts: every schema in {@code src/main/avro} must read
 * data written with its last released copy in {@code released/} (the registry's BACKWARD rule).
 * The last tests prove the check is not vacuous: typical breaking changes are caught.
 */
class SchemaCompatibilityTest {

    private static final Path CURRENT = Path.of("src/main/avro");
    private static final Path RELEASED = Path.of("released");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyCurrentSchemaReadsDataWrittenWithItsReleasedCopy() throws IOException {
        Map<String, Schema> current = SchemaFiles.load(CURRENT);
        Map<String, Schema> released = SchemaFiles.load(RELEASED);
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Schema> r : released.entrySet()) {
            Schema now = current.get(r.getKey());
            if (now == null) {
                problems.add(r.getKey() + " was released but is gone from " + CURRENT);
                continue;
            }
            var result = SchemaCompatibility.checkReaderWriterCompatibility(now, r.getValue());
            if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
                problems.add(r.getKey() + ": " + result.getResult().getIncompatibilities());
            }
            problems.addAll(removedEnumSymbols(r.getValue(), now));
        }
        assertEquals(List.of(), problems, "Schemas that cannot read data written with the released version");
    }

    /**
     * Stricter than Avro: our enums have defaults, with which Avro calls a removed symbol
     * compatible (old data is read as the default). For {@code Dtype} that would silently decode
     * BF16 bytes as F16, so no released symbol may disappear.
     */
    static List<String> removedEnumSymbols(Schema released, Schema current) {
        List<String> problems = new ArrayList<>();
        Map<String, Schema> now = new HashMap<>();
        collectNamed(current, now);
        Map<String, Schema> then = new HashMap<>();
        collectNamed(released, then);
        for (Schema old : then.values()) {
            Schema cur = now.get(old.getFullName());
            if (old.getType() == Schema.Type.ENUM && cur != null && cur.getType() == Schema.Type.ENUM
                    && !cur.getEnumSymbols().containsAll(old.getEnumSymbols())) {
                List<String> gone = new ArrayList<>(old.getEnumSymbols());
                gone.removeAll(cur.getEnumSymbols());
                problems.add(old.getFullName() + ": enum symbols " + gone + " were released and removed");
            }
        }
        return problems;
    }

    private static void collectNamed(Schema s, Map<String, Schema> out) {
        switch (s.getType()) {
            case RECORD -> {
                if (out.putIfAbsent(s.getFullName(), s) == null) {
                    s.getFields().forEach(f -> collectNamed(f.schema(), out));
                }
            }
            case ENUM, FIXED -> out.putIfAbsent(s.getFullName(), s);
            case ARRAY -> collectNamed(s.getElementType(), out);
            case MAP -> collectNamed(s.getValueType(), out);
            case UNION -> s.getTypes().forEach(t -> collectNamed(t, out));
            default -> { }
        }
    }

    @Test
    void everyTopicSchemaHasBeenReleasedAndMatchesTheGeneratedClass() throws IOException {
        Map<String, Schema> current = SchemaFiles.load(CURRENT);
        Map<String, Schema> released = SchemaFiles.load(RELEASED);
        for (Schema topLevel : List.of(HiddenStateSample.SCHEMA$, LabeledExample.SCHEMA$, SaeVersion.SCHEMA$, Alert.SCHEMA$,
                Explanation.SCHEMA$)) {
            assertTrue(released.containsKey(topLevel.getFullName()), topLevel.getFullName() + " has no released copy");
            // The classes are generated from these files: the same schema, apart from the
            // avro.java.string property the generator adds (stringType=String).
            assertEquals(withoutJavaStringProps(JSON.readTree(topLevel.toString())),
                    JSON.readTree(current.get(topLevel.getFullName()).toString()), topLevel.getFullName());
        }
    }

    @Test
    void aNewFieldWithoutADefaultIsCaughtAndWithADefaultIsAccepted() throws IOException {
        Map<String, Schema> released = SchemaFiles.load(RELEASED);
        Schema old = released.get("io.latentwatch.schema.HiddenStateSample");

        ObjectNode withoutDefault = (ObjectNode) JSON.readTree(old.toString());
        ((ArrayNode) withoutDefault.get("fields")).addObject().put("name", "tenant").put("type", "string");
        assertIncompatible(parse(withoutDefault), old);

        ObjectNode withDefault = (ObjectNode) JSON.readTree(old.toString());
        ((ArrayNode) withDefault.get("fields")).addObject().put("name", "tenant").put("type", "string").put("default", "none");
        assertEquals(SchemaCompatibilityType.COMPATIBLE,
                SchemaCompatibility.checkReaderWriterCompatibility(parse(withDefault), old).getType());
    }

    @Test
    void aRemovedEnumSymbolAChangedTypeAndARenamedFieldAreCaught() throws IOException {
        Map<String, Schema> released = SchemaFiles.load(RELEASED);

        Schema dtype = released.get("io.latentwatch.schema.Dtype");
        ObjectNode noBf16 = (ObjectNode) JSON.readTree(dtype.toString());
        ArrayNode symbols = (ArrayNode) noBf16.get("symbols");
        symbols.remove(symbols.size() - 1);
        // Avro itself accepts this (BF16 would be read as the enum default F16)...
        assertEquals(SchemaCompatibilityType.COMPATIBLE,
                SchemaCompatibility.checkReaderWriterCompatibility(parse(noBf16), dtype).getType());
        // ...our stricter rule does not.
        assertEquals(List.of("io.latentwatch.schema.Dtype: enum symbols [BF16] were released and removed"),
                removedEnumSymbols(dtype, parse(noBf16)));
        // Without the enum default, Avro catches it too.
        noBf16.remove("default");
        assertIncompatible(parse(noBf16), dtype);

        Schema alert = released.get("io.latentwatch.schema.Alert");
        ObjectNode scoreAsString = (ObjectNode) JSON.readTree(alert.toString());
        field(scoreAsString, "score").put("type", "string");
        assertIncompatible(parse(scoreAsString), alert);

        ObjectNode renamed = (ObjectNode) JSON.readTree(alert.toString());
        field(renamed, "summary").put("name", "headline");
        assertIncompatible(parse(renamed), alert);
    }

    private static JsonNode withoutJavaStringProps(JsonNode n) {
        if (n.isObject()) {
            ObjectNode o = (ObjectNode) n;
            o.remove("avro.java.string");
            // {"type":"string"} with no other property left is just "string".
            if (o.size() == 1 && o.has("type") && o.get("type").isTextual() && o.get("type").asText().equals("string")) {
                return o.get("type");
            }
            var names = new ArrayList<String>();
            o.fieldNames().forEachRemaining(names::add);
            for (String k : names) {
                o.set(k, withoutJavaStringProps(o.get(k)));
            }
        } else if (n.isArray()) {
            ArrayNode a = (ArrayNode) n;
            for (int i = 0; i < a.size(); i++) {
                a.set(i, withoutJavaStringProps(a.get(i)));
            }
        }
        return n;
    }

    private static ObjectNode field(ObjectNode record, String name) {
        for (JsonNode f : record.get("fields")) {
            if (f.get("name").asText().equals(name)) {
                return (ObjectNode) f;
            }
        }
        throw new IllegalArgumentException("No field " + name);
    }

    private static Schema parse(JsonNode json) {
        return new Schema.Parser().parse(json.toString());
    }

    private static void assertIncompatible(Schema reader, Schema writer) {
        var result = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        assertFalse(result.getType() == SchemaCompatibilityType.COMPATIBLE,
                "expected " + reader + " to be unable to read data written with " + writer);
    }
}
