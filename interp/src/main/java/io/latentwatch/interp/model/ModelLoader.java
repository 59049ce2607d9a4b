package io.latentwatch.interp.model;

import io.latentwatch.interp.tokenizer.HfTokenizer;
import io.latentwatch.interp.tokenizer.Llama2cTokenizer;
import io.latentwatch.interp.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Loads a checkpoint, detecting the format: a directory with config.json is a Hugging Face model
 * (model_type "llama" or "gpt2"); a file is a llama2.c checkpoint (v0, or v1/v2 with the "ak42" magic).
 * The tokenizer is the given path (tokenizer.bin -> llama2.c, *.json -> Hugging Face) or, when null,
 * the directory's tokenizer.json / a tokenizer.bin beside a llama2.c file; a model may load without one.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** Just the weights (no NDArrays): useful for reference implementations and converters. */
    public static ModelWeights loadWeights(Path model) throws IOException {
        return read(model).weights;
    }

    public static HookedTransformer load(Path model, Path tokenizerOrNull) throws IOException {
        Loaded l = read(model);
        Tokenizer tok = loadTokenizer(model, tokenizerOrNull, l.weights.config());
        String id = model.getFileName().toString().replaceFirst("\\.bin$", "");
        return new HookedTransformer(l.weights, tok, id, sha256(l.files));
    }

    private record Loaded(ModelWeights weights, List<Path> files) {}

    private static Loaded read(Path model) throws IOException {
        if (!Files.exists(model)) throw new IOException(model + ": no such model file or directory");
        if (Files.isDirectory(model)) {
            HfCheckpoint ck = new HfCheckpoint(model);
            String type = ck.strCfg("model_type");
            if ("llama".equals(type)) return new Loaded(HfLlamaLoader.load(ck), ck.files);
            if ("gpt2".equals(type)) return new Loaded(HfGpt2Loader.load(ck), ck.files);
            throw new IOException(model + "/config.json: unknown architecture model_type '" + type
                    + "' (supported: llama, gpt2)");
        }
        return new Loaded(Llama2cLoader.load(model), List.of(model));
    }

    static Tokenizer loadTokenizer(Path model, Path tok, ModelConfig c) throws IOException {
        if (tok == null) {
            Path dir = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
            if (Files.isRegularFile(dir.resolve("tokenizer.json"))) tok = dir.resolve("tokenizer.json");
            else if (!Files.isDirectory(model) && Files.isRegularFile(dir.resolve("tokenizer.bin"))) tok = dir.resolve("tokenizer.bin");
            else return null;
        }
        if (!Files.isRegularFile(tok)) throw new IOException(tok + ": no such tokenizer file");
        Tokenizer t = tok.getFileName().toString().endsWith(".json")
                ? HfTokenizer.load(tok, c.bosId(), c.eosId())
                : Llama2cTokenizer.load(tok, c.vocabSize());
        if (t.vocabSize() > c.vocabSize()) {
            t.close();
            throw new IOException(tok + ": tokenizer has " + t.vocabSize() + " tokens but the model only " + c.vocabSize());
        }
        return t;
    }

    /** SHA-256 over the weight files' bytes, in order (hex). */
    public static String sha256(List<Path> files) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (Path f : files) {
                try (InputStream in = Files.newInputStream(f)) {
                    int n;
                    while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
