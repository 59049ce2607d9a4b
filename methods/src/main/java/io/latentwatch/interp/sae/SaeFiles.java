package io.latentwatch.interp.sae;

import io.latentwatch.common.dtype.DType;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads SAEs from local directories in every format of {@link SaeFormat} and saves them in
 * SAELens's directory format: {@code cfg.json} and {@code sae_weights.safetensors} holding
 * {@code W_enc [d_in, d_sae]}, {@code b_enc [d_sae]}, {@code W_dec [d_sae, d_in]}, {@code b_dec [d_in]}
 * and the architecture's own tensors (SAELens: {@code SAE.load_from_disk} / {@code save_model}).
 * F16/BF16 weights are widened to F32 on load.
 *
 * <p>After a format is read, the steps SAELens takes on every load are taken here too: a
 * {@code scaling_factor} of all ones is dropped, another one needs {@code finetuning_scaling_factor}
 * in the config; an {@code expected_average_only_in} SAE has its dataset-wide factor folded in (or is
 * refused when no factor is known). A tensor that the architecture does not use is refused: nothing
 * is loaded approximately.
 */
public final class SaeFiles {
    public static final String CFG = "cfg.json";
    public static final String WEIGHTS = "sae_weights.safetensors";

    private SaeFiles() {}

    public static SparseAutoencoder load(Path dir) throws IOException {
        return load(dir, SaeLoadOptions.DEFAULTS);
    }

    public static SparseAutoencoder load(Path dir, SaeLoadOptions opt) throws IOException {
        return build(read(dir, opt));
    }

    /** Builds the SAE that {@code src} describes; a shape that does not fit the config is an error naming the directory. */
    public static SparseAutoencoder build(SaeSource src) throws IOException {
        try {
            return src.build();
        } catch (IllegalArgumentException e) {
            throw new IOException(src.dir() + " (" + src.format().label() + "): " + e.getMessage());
        }
    }

    /** Reads and converts the files without building the SAE (what {@code latentwatch sae inspect} shows). */
    public static SaeSource read(Path dir, SaeLoadOptions opt) throws IOException {
        SaeFormat format = SaeFormat.detect(dir);
        SaeSource src = switch (format) {
            case SAELENS -> SaeLensFormat.read(dir);
            case GEMMA_SCOPE -> GemmaScopeFormat.read(dir, opt);
            case LLAMA_SCOPE -> LlamaScopeFormat.read(dir, opt);
            case SPARSIFY -> SparsifyFormat.read(dir, opt);
        };
        return finish(src, opt);
    }

    private static SaeSource finish(SaeSource src, SaeLoadOptions opt) throws IOException {
        SaeConfig cfg = src.config();
        Map<String, Tensor> t = new LinkedHashMap<>(src.tensors());
        List<String> notes = new ArrayList<>(src.notes());
        String where = src.dir() + " (" + src.format().label() + ")";
        if (opt.hookName() != null && !opt.hookName().equals(cfg.hookName())) {
            notes.add("hook " + opt.hookName() + " given by the caller (the files say " + cfg.hookName() + ")");
            cfg = cfg.withHookName(opt.hookName());
        }
        Tensor sf = t.get("scaling_factor");
        if (sf != null) {
            boolean ones = true;
            for (float v : sf.data()) ones &= Math.abs(v - 1f) <= 1e-5f * 1.00001f;
            if (ones) {
                t.remove("scaling_factor");
                notes.add("scaling_factor is all ones: dropped, as SAELens drops it");
                cfg = withFinetuning(cfg, false);
            } else if (!cfg.finetuningScalingFactor()) {
                throw new IOException(where + ": tensor 'scaling_factor' is present and not all ones but field "
                        + "'finetuning_scaling_factor' is false; SAELens refuses this too (set it true if the latents are to be "
                        + "scaled by it before decoding)");
            } else {
                notes.add("latents are multiplied by scaling_factor before decoding (finetuning_scaling_factor)");
            }
        } else if (cfg.finetuningScalingFactor()) {
            notes.add("finetuning_scaling_factor is true but there is no scaling_factor tensor: treated as ones, as SAELens does");
            cfg = withFinetuning(cfg, false);
        }
        if ("expected_average_only_in".equals(cfg.normalizeActivations())) {
            if (opt.normScalingFactor() == null) {
                throw new IOException(where + ": field 'normalize_activations' is 'expected_average_only_in': the SAE was trained on "
                        + "inputs scaled by one dataset-wide factor f (E||f·x|| = sqrt(d_in)) that these files do not carry. Give it "
                        + "(--norm-scaling-factor F; SAELens folds it with sae.fold_activation_norm_scaling_factor(F)) or save the SAE "
                        + "folded, with normalize_activations 'none'");
            }
            t = SparseAutoencoder.foldActivationNormScalingFactor(t, opt.normScalingFactor());
            cfg = cfg.withNormalizeActivations("none");
            notes.add("expected_average_only_in: factor " + opt.normScalingFactor() + " folded in (W_enc*f, W_dec/f, b_dec/f)");
        }
        Set<String> used = new LinkedHashSet<>(List.of("W_enc", "W_dec", "b_dec"));
        switch (cfg.architecture()) {
            case SaeConfig.GATED -> used.addAll(List.of("b_gate", "b_mag", "r_mag"));
            case SaeConfig.JUMPRELU -> used.addAll(List.of("b_enc", "threshold"));
            default -> used.add("b_enc");
        }
        if (cfg.finetuningScalingFactor()) used.add("scaling_factor");
        for (String n : t.keySet()) {
            if (!used.contains(n)) {
                throw new IOException(where + ": tensor '" + n + "' is not understood for a " + cfg.architecture() + " SAE (it uses "
                        + used + "); loading without it would compute something else");
            }
        }
        for (String n : used) {
            if (!t.containsKey(n)) throw new IOException(where + ": missing tensor '" + n + "' (a " + cfg.architecture() + " SAE needs "
                    + used + "; has " + t.keySet() + ")");
        }
        return new SaeSource(src.format(), src.dir(), cfg, t, src.storedDtype(), List.copyOf(notes));
    }

    private static SaeConfig withFinetuning(SaeConfig c, boolean f) {
        return new SaeConfig(c.dIn(), c.dSae(), c.architecture(), c.k(), c.hookName(), c.hookLayer(), c.modelName(), c.applyBDecToInput(),
                c.normalizeActivations(), c.dtype(), c.contextSize(), c.prependBos(), c.datasetPath(), c.rescaleActsByDecoderNorm(), f);
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
