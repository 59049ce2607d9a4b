package io.latentwatch.interp.circuits;

import io.latentwatch.interp.model.HookedTransformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prompt files for circuit discovery: one prompt per line, blank lines and lines starting with '#'
 * skipped. A line {@code ids: 2 17 5 ...} gives token ids verbatim (random-token prompts that no
 * text re-tokenises the same way); other lines are text, tokenised with BOS first. A literal
 * leading "[BOS]" or "<s>" (as the zoo's circuits.json writes its examples) is dropped because the
 * tokenizer adds BOS itself.
 */
public final class CircuitPrompts {
    private CircuitPrompts() {}

    public static List<String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("prompt file " + file + " does not exist");
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String s = line.strip();
            if (!s.isEmpty() && !s.startsWith("#")) out.add(s);
        }
        if (out.isEmpty()) throw new IOException("prompt file " + file + " holds no prompts");
        return out;
    }

    public static List<int[]> tokenize(HookedTransformer m, List<String> prompts) {
        List<int[]> out = new ArrayList<>();
        for (String p : prompts) out.add(tokenize(m, p));
        return out;
    }

    public static int[] tokenize(HookedTransformer m, String prompt) {
        String s = prompt.strip();
        if (s.startsWith("ids:")) {
            String[] parts = s.substring(4).trim().split("[\\s,]+");
            int[] ids = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    ids[i] = Integer.parseInt(parts[i]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("prompt '" + abbreviate(s) + "': '" + parts[i] + "' is not a token id");
                }
                if (ids[i] < 0 || ids[i] >= m.config().vocabSize()) {
                    throw new IllegalArgumentException("prompt '" + abbreviate(s) + "': token id " + ids[i] + " outside the vocabulary 0.." + (m.config().vocabSize() - 1));
                }
            }
            return ids;
        }
        for (String bos : new String[] {"[BOS]", "<s>"}) {
            if (s.startsWith(bos)) s = s.substring(bos.length()).strip();
        }
        return m.toTokens(s);
    }

    private static String abbreviate(String s) { return s.length() > 40 ? s.substring(0, 40) + "..." : s; }
}
