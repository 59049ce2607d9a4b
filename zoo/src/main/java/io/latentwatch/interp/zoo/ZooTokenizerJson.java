package io.latentwatch.interp.zoo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the zoo vocabulary as a Hugging Face {@code tokenizer.json}: WordLevel model, Whitespace
 * pre-tokenizer, special tokens [PAD]/[UNK]/[BOS]/[EOS], and a TemplateProcessing post-processor
 * that prepends [BOS] (as HF Llama tokenizers do), so {@code encode(text)} gives exactly the ids the
 * zoo models were trained on.
 */
public final class ZooTokenizerJson {
    private ZooTokenizerJson() {}

    public static ObjectNode build() {
        ZooVocabulary v = ZooVocabulary.get();
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : ZooVocabulary.SPECIALS) {
            ObjectNode t = added.addObject();
            t.put("id", v.id(s)).put("content", s).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "Whitespace");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", ZooVocabulary.BOS).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", ZooVocabulary.BOS).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject(ZooVocabulary.BOS);
        bos.put("id", ZooVocabulary.BOS);
        bos.putArray("ids").add(v.bos());
        bos.putArray("tokens").add(ZooVocabulary.BOS);
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        List<String> words = v.words();
        for (int i = 0; i < words.size(); i++) vocab.put(words.get(i), i);
        model.put("unk_token", ZooVocabulary.UNK);
        return root;
    }

    public static void write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), build());
    }
}
