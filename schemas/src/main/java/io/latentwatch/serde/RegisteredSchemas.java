package io.latentwatch.serde;

import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;

/**
 * The schema text latentwatch registers for a topic: the record's schema exactly as the
 * {@code .avsc} files in {@code src/main/avro} define it, self-contained (every nested named type
 * inlined at its first use, as Avro's {@link Schema#toString()} writes it).
 *
 * <p>Why not the generated class's {@code SCHEMA$}: the Avro compiler adds
 * {@code "avro.java.string": "String"} to every string type (a Java-only hint for
 * {@code stringType=String}). Registering that text gave the subject a schema that no other client
 * has, so a Python or JavaScript client looking its id up by the {@code .avsc} text got "schema does
 * not match any schema under the subject" and registering the {@code .avsc} added a second version.
 * Without the hint, the text is the one a client builds from the {@code .avsc} files, and the bytes
 * written are the same (the hint only changes which Java type a reader creates).
 */
public final class RegisteredSchemas {
    /** The property the Avro compiler adds for {@code stringType=String}. */
    static final String JAVA_STRING_PROP = "avro.java.string";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Schema, Schema> CACHE = new ConcurrentHashMap<>();

    private RegisteredSchemas() {
    }

    /** {@code schema} without the Java-only string hints (cached; the result is a new, equal-for-all-clients schema). */
    public static Schema of(Schema schema) {
        Objects.requireNonNull(schema, "schema");
        return CACHE.computeIfAbsent(schema, RegisteredSchemas::strip);
    }

    /** The registered text of {@code schema}: what the registry stores under {@code <topic>-value}. */
    public static String text(Schema schema) {
        return of(schema).toString();
    }

    private static Schema strip(Schema schema) {
        try {
            JsonNode tree = JSON.readTree(schema.toString());
            removeJavaHints(tree);
            return new Schema.Parser().parse(JSON.writeValueAsString(tree));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Avro wrote a schema that is not JSON: " + schema.getFullName(), e);
        }
    }

    private static void removeJavaHints(JsonNode node) {
        if (node instanceof ObjectNode o) {
            o.remove(JAVA_STRING_PROP);
        }
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
            removeJavaHints(it.next());
        }
    }
}
