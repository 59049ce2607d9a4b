package io.latentwatch.interp.sae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The directory layouts latentwatch reads, recognised by their files:
 * <ul>
 *   <li>{@link #SAELENS}: {@code cfg.json} + {@code sae_weights.safetensors} (SAELens, pre-6 and 6.x configs; latentwatch's own)</li>
 *   <li>{@link #GEMMA_SCOPE}: {@code params.npz} (Gemma Scope, Lieberum et al. 2024)</li>
 *   <li>{@link #LLAMA_SCOPE}: {@code hyperparams.json} + {@code final.safetensors} (Llama Scope, He et al. 2024; also under {@code checkpoints/})</li>
 *   <li>{@link #SPARSIFY}: {@code cfg.json} + {@code sae.safetensors} (EleutherAI sparsify), or a directory of such sub-directories, one per hook</li>
 * </ul>
 */
public enum SaeFormat {
    SAELENS("SAELens directory"),
    GEMMA_SCOPE("Gemma Scope params.npz"),
    LLAMA_SCOPE("Llama Scope hyperparams.json + final.safetensors"),
    SPARSIFY("EleutherAI sparsify");

    private final String label;

    SaeFormat(String label) { this.label = label; }

    public String label() { return label; }

    /** The format of {@code dir}, or an error naming what was found and what each format needs. */
    public static SaeFormat detect(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir + ": not a directory (an SAE is a directory: " + expected() + ")");
        }
        if (Files.exists(dir.resolve(SaeFiles.WEIGHTS)) && Files.exists(dir.resolve(SaeFiles.CFG))) return SAELENS;
        if (Files.exists(dir.resolve(GemmaScopeFormat.PARAMS))) return GEMMA_SCOPE;
        if (Files.exists(dir.resolve(LlamaScopeFormat.HYPERPARAMS))) return LLAMA_SCOPE;
        if (Files.exists(dir.resolve(SparsifyFormat.WEIGHTS)) && Files.exists(dir.resolve(SaeFiles.CFG))) return SPARSIFY;
        if (!SparsifyFormat.hookpoints(dir).isEmpty()) return SPARSIFY;
        List<String> found;
        try (Stream<Path> s = Files.list(dir)) {
            found = s.map(p -> p.getFileName().toString()).sorted().limit(12).toList();
        }
        if (Files.exists(dir.resolve(SaeFiles.CFG))) {
            throw new NoSuchFileException(dir.resolve(SaeFiles.WEIGHTS) + ": missing (cfg.json is here, so this looks like a SAELens "
                    + "directory, which also needs " + SaeFiles.WEIGHTS + "; a sparsify one needs " + SparsifyFormat.WEIGHTS + "); found " + found);
        }
        throw new NoSuchFileException(dir + ": no SAE format recognised (found " + found + "); expected " + expected());
    }

    private static String expected() {
        return "cfg.json + sae_weights.safetensors (SAELens), params.npz (Gemma Scope), hyperparams.json + final.safetensors "
                + "(Llama Scope), or cfg.json + sae.safetensors (sparsify, or one sub-directory per hook)";
    }
}
