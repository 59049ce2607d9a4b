package io.latentwatch.interp.lens;

import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.model.HookedTransformer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The real stories260K model and small prompt sets sampled from it (seeded, so train and held-out differ). */
public final class LensFixtures {
    private static HookedTransformer stories;

    private LensFixtures() {}

    public static Path shared(String rel) {
        for (String base : new String[]{"../../shared", "../shared"}) {
            Path p = Path.of(base).resolve(rel);
            if (Files.exists(p)) return p;
        }
        throw new IllegalStateException("cannot find shared/" + rel);
    }

    public static synchronized HookedTransformer stories() throws IOException {
        if (stories == null) {
            stories = HookedTransformer.load(shared("models/stories260K/stories260K.bin"), shared("models/stories260K/tok512.bin"));
        }
        return stories;
    }

    /** Lines of a test resource under lens/, tokenized with BOS. */
    public static List<int[]> prompts(HookedTransformer m, String resource) throws IOException {
        try (var in = LensFixtures.class.getResourceAsStream("/lens/" + resource)) {
            if (in == null) throw new IOException("missing test resource lens/" + resource);
            List<int[]> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) out.add(m.toTokens(line.strip()));
            }
            return out;
        }
    }

    /** {@code count} stories of up to {@code len} tokens sampled (T = 1) with seeds seed, seed+1, ... */
    public static List<int[]> sampled(HookedTransformer m, int count, int len, long seed) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(Generator.generate(m, new int[]{m.config().bosId()}, GenerationConfig.sampling(len, 1f, 0, 1f, seed + i).withStops(false, false)).tokens());
        }
        return out;
    }
}
