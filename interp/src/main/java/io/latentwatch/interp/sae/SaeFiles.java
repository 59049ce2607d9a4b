package io.latentwatch.interp.sae;

import io.latentwatch.interp.tensor.DType;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Loads and saves SAEs in SAELens's directory format: {@code cfg.json} and
 * {@code sae_weights.safetensors} holding {@code W_enc [d_in, d_sae]}, {@code b_enc [d_sae]},
 * {@code W_dec [d_sae, d_in]}, {@code b_dec [d_in]} (SAELens: {@code SAE.load_from_disk} /
 * {@code save_model}). F16/BF16 weights are widened to F32 on load.
 */
public final class SaeFiles {
    public static final String CFG = "cfg.json";
    public static final String WEIGHTS = "sae_weights.safetensors";

    private SaeFiles() {}

    public static SparseAutoencoder load(Path dir) throws IOException {
        Path cfgFile = dir.resolve(CFG);
        Path weightsFile = dir.resolve(WEIGHTS);
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir + ": not a directory (expected a SAELens SAE directory with " + CFG + " and " + WEIGHTS + ")");
        if (!Files.exists(cfgFile)) throw new NoSuchFileException(cfgFile + ": missing (a SAELens SAE directory has " + CFG + " and " + WEIGHTS + ")");
        if (!Files.exists(weightsFile)) throw new NoSuchFileException(weightsFile + ": missing (a SAELens SAE directory has " + CFG + " and " + WEIGHTS + ")");
        SaeConfig cfg = SaeConfig.fromJson(Files.readString(cfgFile), cfgFile.toString());
        SafeTensors st = SafeTensors.open(weightsFile);
        for (String n : new String[] {"W_enc", "b_enc", "W_dec", "b_dec"}) {
            if (!st.contains(n)) throw new IOException(weightsFile + ": missing tensor '" + n + "' (has " + st.names() + ")");
        }
        return SparseAutoencoder.of(cfg,
                st.get("W_enc", cfg.dIn(), cfg.dSae()),
                st.get("b_enc", cfg.dSae()),
                st.get("W_dec", cfg.dSae(), cfg.dIn()),
                st.get("b_dec", cfg.dIn()));
    }

    /** Writes cfg.json and the weights (dtype from the config: float32, float16 or bfloat16), each atomically. */
    public static void save(SparseAutoencoder sae, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Tensor> w = sae.weights();
        SafeTensors.write(dir.resolve(WEIGHTS), w, Map.of("format", "pt"), dtypeOf(sae.config().dtype()));
        Path tmp = dir.resolve(CFG + ".tmp");
        Files.writeString(tmp, sae.config().toJsonString(), StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(CFG), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static DType dtypeOf(String saelensDtype) {
        return switch (saelensDtype.replace("torch.", "")) {
            case "float32" -> DType.F32;
            case "float16" -> DType.F16;
            case "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("unsupported SAE dtype '" + saelensDtype + "' (float32, float16, bfloat16)");
        };
    }
}
