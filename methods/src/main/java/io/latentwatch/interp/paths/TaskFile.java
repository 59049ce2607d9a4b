package io.latentwatch.interp.paths;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A user task for {@code path-patch --task FILE}:
 * <pre>{
 *   "name": "my-task",
 *   "metric": "logit_diff",            // or "loss"
 *   "pairs": [
 *     {"clean": "When Mary and John went to the store, John gave a drink to",
 *      "reference": "When Anna and Tom went to the store, Sam gave a drink to",
 *      "answer": " Mary", "wrong": " John"}
 *   ]
 * }</pre>
 * Prompts are text (BOS added) or token-id arrays; clean and reference must have the same number of tokens.
 * The metric reads the last position; "answer"/"wrong" are single tokens (text or id; "wrong" only for
 * logit_diff).
 */
public final class TaskFile {
    private TaskFile() {}

    public static PatchingTask read(Path file, Tokenizer tok) throws IOException {
        JsonNode n = new ObjectMapper().readTree(Files.readString(file));
        String src = file.toString();
        if (n == null || !n.has("pairs") || !n.get("pairs").isArray() || n.get("pairs").isEmpty())
            throw new IllegalArgumentException("task " + src + ": expected an object with a non-empty \"pairs\" array");
        Metric metric = switch (n.path("metric").asText("logit_diff").toLowerCase()) {
            case "logit_diff", "logit-diff" -> Metric.LOGIT_DIFF;
            case "loss" -> Metric.LOSS;
            default -> throw new IllegalArgumentException("task " + src + ": metric must be logit_diff or loss, got " + n.get("metric"));
        };
        List<PromptPair> pairs = new ArrayList<>();
        int i = 0;
        for (JsonNode p : n.get("pairs")) {
            String where = "task " + src + ": pairs[" + i++ + "]";
            int[] clean = tokens(p.get("clean"), tok, where + ".clean"), ref = tokens(p.get("reference"), tok, where + ".reference");
            if (clean.length != ref.length)
                throw new IllegalArgumentException(where + ": clean has " + clean.length + " tokens, reference " + ref.length + " (must be equal)");
            int ans = single(p.get("answer"), tok, where + ".answer");
            int[] wrong = metric == Metric.LOGIT_DIFF ? new int[] {single(p.get("wrong"), tok, where + ".wrong")} : null;
            pairs.add(new PromptPair(clean, ref, new int[] {clean.length - 1}, new int[] {ans}, wrong));
        }
        return new PatchingTask(n.path("name").asText(file.getFileName().toString()), "user task " + src, pairs, metric);
    }

    private static int[] tokens(JsonNode v, Tokenizer tok, String where) {
        if (v == null) throw new IllegalArgumentException(where + " is missing");
        if (v.isArray()) {
            int[] t = new int[v.size()];
            for (int i = 0; i < t.length; i++) t[i] = v.get(i).asInt();
            return t;
        }
        if (tok == null) throw new IllegalArgumentException(where + ": text prompts need a tokenizer (--tokenizer)");
        return tok.encode(v.asText(), true);
    }

    private static int single(JsonNode v, Tokenizer tok, String where) {
        if (v == null) throw new IllegalArgumentException(where + " is missing");
        if (v.isInt()) return v.asInt();
        if (tok == null) throw new IllegalArgumentException(where + ": a text answer needs a tokenizer");
        int[] t = tok.encode(v.asText(), false);
        if (t.length != 1) throw new IllegalArgumentException(where + ": '" + v.asText() + "' is " + t.length + " tokens, expected exactly one");
        return t[0];
    }
}
