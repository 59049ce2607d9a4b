package io.latentwatch.interp.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} (BPE for GPT-2, WordLevel for the project's zoo, ...) through
 * DJL's binding of the Rust tokenizers library. BOS handling is explicit: {@code encode(text, true)}
 * puts the model's BOS first unless the tokenizer's post-processor already did (GPT-2's does not, and
 * TransformerLens prepends <|endoftext|> by default; we do the same).
 */
public final class HfTokenizer implements Tokenizer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer tok;
    private final int bos;
    private final int eos;
    private final int vocabSize;
    private final String[] idToToken;

    private HfTokenizer(HuggingFaceTokenizer tok, int bos, int eos, String[] idToToken) {
        this.tok = tok;
        this.bos = bos;
        this.eos = eos;
        this.idToToken = idToToken;
        this.vocabSize = idToToken.length;
    }

    /**
     * @param tokenizerJson the tokenizer.json file
     * @param bosId BOS id from the model config, or -1 to look it up in the vocabulary ("<s>", "<|endoftext|>", "<bos>")
     * @param eosId EOS id from the model config, or -1 to look it up ("</s>", "<|endoftext|>", "<eos>")
     */
    public static HfTokenizer load(Path tokenizerJson, int bosId, int eosId) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) throw new IOException(tokenizerJson + ": no such tokenizer file");
        JsonNode root;
        try {
            root = JSON.readTree(tokenizerJson.toFile());
        } catch (IOException e) {
            throw new IOException(tokenizerJson + ": not a valid tokenizer.json: " + e.getMessage(), e);
        }
        JsonNode vocab = root.path("model").path("vocab");
        int max = -1;
        Map<Integer, String> names = new HashMap<>();
        if (vocab.isObject()) {
            for (var it = vocab.fields(); it.hasNext(); ) {
                var e = it.next();
                names.put(e.getValue().asInt(), e.getKey());
            }
        } else if (vocab.isArray()) { // Unigram: [[piece, score], ...]
            for (int i = 0; i < vocab.size(); i++) names.put(i, vocab.get(i).get(0).asText());
        }
        for (JsonNode a : root.path("added_tokens")) names.put(a.get("id").asInt(), a.get("content").asText());
        for (int id : names.keySet()) max = Math.max(max, id);
        String[] idToToken = new String[max + 1];
        names.forEach((id, s) -> idToToken[id] = s);
        if (bosId < 0) bosId = findAny(names, "<s>", "<|endoftext|>", "<bos>", "<|begin_of_text|>", "[BOS]");
        if (eosId < 0) eosId = findAny(names, "</s>", "<|endoftext|>", "<eos>", "<|end_of_text|>", "[EOS]");
        HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
        return new HfTokenizer(t, bosId, eosId, idToToken);
    }

    private static int findAny(Map<Integer, String> names, String... candidates) {
        for (String c : candidates) {
            for (var e : names.entrySet()) if (e.getValue().equals(c)) return e.getKey();
        }
        return -1;
    }

    @Override
    public int[] encode(String text, boolean addBos) {
        long[] ids = tok.encode(text, false, false).getIds();
        boolean prepend = addBos && bos >= 0 && (ids.length == 0 || ids[0] != bos);
        int[] out = new int[ids.length + (prepend ? 1 : 0)];
        if (prepend) out[0] = bos;
        for (int i = 0; i < ids.length; i++) out[i + (prepend ? 1 : 0)] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return tok.decode(l, true);
    }

    @Override
    public String tokenString(int id) {
        if (id < 0 || id >= idToToken.length || idToToken[id] == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of size " + vocabSize);
        }
        return idToToken[id];
    }

    @Override
    public int bosId() { return bos; }

    @Override
    public int eosId() { return eos; }

    @Override
    public int vocabSize() { return vocabSize; }

    @Override
    public void close() { tok.close(); }
}
