package io.latentwatch.trainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The prompts of a prompt file that {@link ActivationPipeline} holds out (same rule, seed and share). */
public final class HeldOutPrompts {
    private HeldOutPrompts() {}

    public static List<String> of(Path file, long seed, double share, int max) throws IOException {
        List<String> out = new ArrayList<>();
        if (max <= 0) return out;
        int i = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String s = line.strip();
            if (s.isEmpty()) continue;
            if (ActivationPipeline.isValidation(i, seed, share)) out.add(s);
            i++;
            if (out.size() >= max) break;
        }
        return out;
    }
}
