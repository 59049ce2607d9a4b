package io.latentwatch.trainer;

import io.latentwatch.interp.sae.TokenContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;

/**
 * Activations of prompts read lazily from a text file (one prompt per line; blank lines skipped)
 * or any iterator of prompts, run through the model one prompt at a time. The BOS position is
 * skipped by default: its residual is a constant, huge-norm vector that SAEs should not spend
 * latents on (common SAELens practice, exclude_special_tokens).
 */
public final class PromptActivationSource implements ActivationSource {
    private final ActivationModel model;
    private final String hook;
    private final Iterator<String> prompts;
    private final AutoCloseable resource;
    private final boolean skipBos;
    private ActivationModel.PromptActivations current;
    private int pos;
    private int promptIndex = -1;

    public PromptActivationSource(ActivationModel model, String hook, Iterator<String> prompts, boolean skipBos, AutoCloseable resource) {
        this.model = model;
        this.hook = hook;
        this.prompts = prompts;
        this.skipBos = skipBos;
        this.resource = resource;
    }

    public static PromptActivationSource fromFile(ActivationModel model, String hook, Path file) throws IOException {
        if (!Files.isReadable(file)) throw new NoSuchFileException(file + ": prompts file not found or unreadable");
        BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        Iterator<String> it = r.lines().map(String::strip).filter(l -> !l.isEmpty()).iterator();
        return new PromptActivationSource(model, hook, it, true, r);
    }

    @Override
    public int dIn() { return model.dModel(); }

    @Override
    public ActivationRow next() {
        while (current == null || pos >= current.positions()) {
            if (!prompts.hasNext()) return null;
            current = model.run(prompts.next(), hook);
            promptIndex++;
            pos = skipBos && current.positions() > 1 ? 1 : 0;
        }
        int d = current.dim();
        float[] row = Arrays.copyOfRange(current.rows(), pos * d, (pos + 1) * d);
        TokenContext ctx = TokenContext.of(current.tokens(), promptIndex, pos);
        pos++;
        return new ActivationRow(row, ctx);
    }

    @Override
    public void close() throws IOException {
        if (resource != null) {
            try {
                resource.close();
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }
}
