package io.latentwatch.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.circuits.CircuitDiscovery;
import io.latentwatch.interp.circuits.CircuitEvaluation;
import io.latentwatch.interp.circuits.CircuitPrompts;
import io.latentwatch.interp.circuits.CircuitReport;
import io.latentwatch.interp.circuits.GroundTruth;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.schema.CircuitSignature;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Offline circuit identification: prompts → {@link CircuitDiscovery} → artefacts in one directory:
 * {@code circuit.json}, {@code report.html} + PNGs, {@code signature.avro.json} (the Avro
 * CircuitSignature in Avro's JSON encoding, what the monitor is handed) and the circuit SAE
 * ({@code sae/} in SAELens format + {@code head_projection.safetensors}) to compute codes from hook_z.
 */
public final class CircuitTrainJob {
    public static final String CIRCUIT_JSON = "circuit.json";
    public static final String SIGNATURE = "signature.avro.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Outcome(CircuitDiscovery.Result result, CircuitEvaluation evaluation, CircuitSignature signature, Path circuitJson, Path html) {}

    private CircuitTrainJob() {}

    /** Runs discovery; {@code groundTruth} may be null. The returned result's SAE is closed. */
    public static Outcome run(HookedTransformer m, String name, List<String> positives, List<String> negatives,
                              GroundTruth groundTruth, CircuitDiscovery.Options opt, Path out) throws IOException {
        long t0 = System.nanoTime();
        List<int[]> pos = CircuitPrompts.tokenize(m, positives);
        List<int[]> neg = CircuitPrompts.tokenize(m, negatives);
        try (CircuitDiscovery.Result r = CircuitDiscovery.run(m, name, pos, neg, opt)) {
            CircuitEvaluation ev = groundTruth == null ? null : CircuitEvaluation.of(r, groundTruth);
            Files.createDirectories(out);
            r.coder().save(out);
            CircuitSignature sig = CircuitSignatures.toAvro(r.signature());
            Files.writeString(out.resolve(SIGNATURE), avroJson(sig));
            ObjectNode json = CircuitReport.toJson(r, ev, m.modelId());
            json.with("runtime_seconds").put("end_to_end", (System.nanoTime() - t0) / 1e9);
            Path cj = out.resolve(CIRCUIT_JSON);
            JSON.writerWithDefaultPrettyPrinter().writeValue(cj.toFile(), json);
            Path html = CircuitReport.writeHtml(r, ev, m.modelId(), out);
            return new Outcome(r, ev, sig, cj, html);
        }
    }

    static String avroJson(CircuitSignature s) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        JsonEncoder enc = EncoderFactory.get().jsonEncoder(CircuitSignature.getClassSchema(), bos, true);
        new SpecificDatumWriter<>(CircuitSignature.class).write(s, enc);
        enc.flush();
        return bos.toString(StandardCharsets.UTF_8) + "\n";
    }
}
