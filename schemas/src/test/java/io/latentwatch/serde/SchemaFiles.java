package io.latentwatch.serde;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.avro.Schema;
import org.apache.avro.AvroRuntimeException;

/**
 * Reads a directory of {@code .avsc} files whose types refer to each other by name (as
 * {@code src/main/avro} does), in whatever order resolves the references.
 */
final class SchemaFiles {

    private SchemaFiles() {
    }

    /** Full name to schema, for every named type defined at the top of a file in {@code dir}. */
    static Map<String, Schema> load(Path dir) throws IOException {
        Map<String, String> pending = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList()) {
                pending.put(f.getFileName().toString(), Files.readString(f));
            }
        }
        if (pending.isEmpty()) {
            throw new IllegalStateException("No .avsc files in " + dir.toAbsolutePath());
        }
        Map<String, Schema> known = new LinkedHashMap<>();
        Map<String, Schema> byFile = new LinkedHashMap<>();
        while (!pending.isEmpty()) {
            List<String> parsed = new ArrayList<>();
            Map<String, String> errors = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : pending.entrySet()) {
                // A fresh parser per attempt, seeded with the types already known: a failed parse
                // must not leave half-defined names behind.
                Schema.Parser parser = new Schema.Parser().addTypes(known.values());
                try {
                    Schema s = parser.parse(e.getValue());
                    known.putAll(parser.getTypes());
                    byFile.put(s.getFullName(), s);
                    parsed.add(e.getKey());
                } catch (AvroRuntimeException ex) { // undefined name (SchemaParseException) or a default of a not-yet-known type (AvroTypeException)
                    errors.put(e.getKey(), ex.getMessage());
                }
            }
            if (parsed.isEmpty()) {
                throw new IllegalStateException("Cannot parse " + errors + " in " + dir.toAbsolutePath());
            }
            parsed.forEach(pending::remove);
        }
        return byFile;
    }
}
