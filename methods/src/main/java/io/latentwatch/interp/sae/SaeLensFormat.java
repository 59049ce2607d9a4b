package io.latentwatch.interp.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a SAELens directory ({@code SAE.load_from_disk}): {@code cfg.json} in either layout
 * ({@link SaeConfig#fromJson}) and every tensor of {@code sae_weights.safetensors}, widened to F32.
 * Old names are mapped as SAELens maps them: {@code log_threshold} → {@code threshold = exp(·)},
 * {@code finetuning_scaling_factor} → {@code scaling_factor}.
 */
final class SaeLensFormat {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SaeLensFormat() {}

    static SaeSource read(Path dir) throws IOException {
        Path cfgFile = dir.resolve(SaeFiles.CFG);
        Path weightsFile = dir.resolve(SaeFiles.WEIGHTS);
        String json = Files.readString(cfgFile);
        SaeConfig cfg = SaeConfig.fromJson(json, cfgFile.toString());
        JsonNode root = JSON.readTree(json);
        if (root.path("normalize_decoder").asBoolean(false)) {
            throw new IOException(cfgFile + ": field 'normalize_decoder' is true; latentwatch reads SAEs whose decoder is used as "
                    + "stored (fold the decoder norms first: SAELens sae.fold_W_dec_norm(), then save)");
        }
        SafeTensors st = SafeTensors.open(weightsFile);
        Map<String, Tensor> t = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        String dtype = null;
        for (String n : st.names()) {
            t.put(n, st.get(n));
            dtype = st.dtype(n).safetensorsName();
        }
        if (t.containsKey("log_threshold") && !t.containsKey("threshold")) {
            float[] v = t.remove("log_threshold").data().clone();
            for (int i = 0; i < v.length; i++) v[i] = (float) Math.exp(v[i]);
            t.put("threshold", new Tensor(v, v.length));
            notes.add("threshold = exp(log_threshold) (older SAELens JumpReLU checkpoints)");
        }
        if (t.containsKey("finetuning_scaling_factor") && !t.containsKey("scaling_factor")) {
            t.put("scaling_factor", t.remove("finetuning_scaling_factor"));
        }
        return new SaeSource(SaeFormat.SAELENS, dir, cfg, t, dtype == null ? cfg.dtype() : dtype, notes);
    }
}
