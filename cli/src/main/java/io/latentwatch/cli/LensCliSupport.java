package io.latentwatch.cli;

import io.latentwatch.interp.model.HookedTransformer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Shared plumbing of the lens / Patchscope commands: model loading and prompt files. */
final class LensCliSupport {
    private LensCliSupport() {}

    static HookedTransformer load(Path model, Path tokenizer) throws IOException {
        System.setProperty("ai.djl.offline", "true");
        if (!Files.exists(model)) throw new IOException("model not found: " + model);
        if (tokenizer != null && !Files.exists(tokenizer)) throw new IOException("tokenizer not found: " + tokenizer);
        return HookedTransformer.load(model, tokenizer);
    }

    /** Non-blank lines of a UTF-8 file: one prompt per line. */
    static List<String> prompts(Path file) throws IOException {
        if (!Files.exists(file)) throw new IOException("prompts file not found: " + file);
        List<String> out = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (out.isEmpty()) throw new IOException("prompts file " + file + " has no non-blank line");
        return out;
    }
}
