package io.latentwatch.trainer;

import io.latentwatch.interp.sae.TokenContext;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Reads an expensive source once and serves later epochs from disk. The first {@link #get()} tees
 * the source's rows into a temporary file as they stream past (so memory stays bounded however
 * large the data); once that pass has reached the end, every further {@code get()} reads the file
 * instead of opening the source again. For topic sources this means one model forward pass per
 * example and one read of the topic per refit, not one per epoch, and every epoch sees exactly the
 * same rows. A first pass that stopped early (closed before the end, or failed) is not trusted:
 * the next {@code get()} opens the source again.
 *
 * <p>File format: per row, prompt id and position (int), token and context (UTF), d floats.
 */
public final class SpilledEpochs implements Supplier<ActivationSource>, AutoCloseable {
    private final Supplier<ActivationSource> source;
    private final Path file;
    private volatile boolean complete;
    private int dIn = -1;

    public SpilledEpochs(Supplier<ActivationSource> source, Path dir) {
        this.source = source;
        try {
            this.file = Files.createTempFile(dir, ".activations-", ".bin");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public ActivationSource get() {
        if (complete) return new Replay(file, dIn);
        ActivationSource s = source.get();
        dIn = s.dIn();
        try {
            return new Tee(s, new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether a full pass was spilled (later epochs come from disk). */
    public boolean complete() { return complete; }

    @Override
    public void close() throws IOException {
        Files.deleteIfExists(file);
    }

    private final class Tee implements ActivationSource {
        private final ActivationSource in;
        private final DataOutputStream out;

        Tee(ActivationSource in, DataOutputStream out) {
            this.in = in;
            this.out = out;
        }

        @Override
        public int dIn() { return in.dIn(); }

        @Override
        public ActivationRow next() throws IOException {
            ActivationRow r = in.next();
            if (r == null) {
                out.close();
                complete = true;
                return null;
            }
            TokenContext c = r.context();
            out.writeInt(c.prompt());
            out.writeInt(c.position());
            out.writeUTF(c.token() == null ? "" : c.token());
            out.writeUTF(c.context() == null ? "" : c.context());
            for (float v : r.values()) out.writeFloat(v);
            return r;
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } finally {
                in.close();
            }
        }
    }

    private static final class Replay implements ActivationSource {
        private final DataInputStream in;
        private final int d;

        Replay(Path file, int d) {
            this.d = d;
            try {
                this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public int dIn() { return d; }

        @Override
        public ActivationRow next() throws IOException {
            int prompt;
            try {
                prompt = in.readInt();
            } catch (EOFException e) {
                return null;
            }
            int pos = in.readInt();
            String tok = in.readUTF();
            String ctx = in.readUTF();
            float[] v = new float[d];
            for (int i = 0; i < d; i++) v[i] = in.readFloat();
            return new ActivationRow(v, new TokenContext(tok, ctx, prompt, pos));
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
