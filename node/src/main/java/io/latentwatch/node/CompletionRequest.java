package io.latentwatch.node;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The fields of an OpenAI {@code POST /v1/completions} body that the node honours. {@code top_k}
 * is an extension (vLLM and llama.cpp accept it too). Unknown fields are ignored, as OpenAI-compatible
 * servers do; fields the node cannot honour ({@code n} > 1, {@code logprobs}, {@code best_of} > 1)
 * are refused rather than silently dropped.
 *
 * @param prompts     one or more prompts (OpenAI's {@code prompt} may be a string or a list of strings)
 * @param seed        null: the node picks one
 * @param stop        stop sequences (up to 4, as OpenAI)
 */
public record CompletionRequest(String model, List<String> prompts, int maxTokens, float temperature, float topP, int topK,
                                Long seed, List<String> stop, boolean echo) {

    public static final int DEFAULT_MAX_TOKENS = 16;

    /** Thrown for a bad body; the server answers 400 with OpenAI's error shape naming {@link #param}. */
    public static final class Invalid extends IllegalArgumentException {
        public final String param;

        Invalid(String param, String message) {
            super(message);
            this.param = param;
        }
    }

    public static CompletionRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) throw new Invalid(null, "the request body must be a JSON object");
        String model = body.hasNonNull("model") ? text(body, "model") : null;
        JsonNode p = body.get("prompt");
        List<String> prompts = new ArrayList<>();
        if (p == null || p.isNull()) prompts.add("");
        else if (p.isTextual()) prompts.add(p.asText());
        else if (p.isArray()) {
            if (p.isEmpty()) throw new Invalid("prompt", "'prompt' is an empty list");
            for (JsonNode e : p) {
                if (!e.isTextual()) throw new Invalid("prompt", "'prompt' must be a string or a list of strings (token-id prompts are not supported)");
                prompts.add(e.asText());
            }
        } else throw new Invalid("prompt", "'prompt' must be a string or a list of strings");
        int maxTokens = intField(body, "max_tokens", DEFAULT_MAX_TOKENS);
        if (maxTokens < 0) throw new Invalid("max_tokens", "'max_tokens' must be >= 0, got " + maxTokens);
        float temperature = (float) number(body, "temperature", 1.0);
        if (!(temperature >= 0 && temperature <= 2)) throw new Invalid("temperature", "'temperature' must be in [0, 2], got " + temperature);
        float topP = (float) number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) throw new Invalid("top_p", "'top_p' must be in (0, 1], got " + topP);
        int topK = intField(body, "top_k", 0);
        if (topK < 0) throw new Invalid("top_k", "'top_k' must be >= 0, got " + topK);
        Long seed = body.hasNonNull("seed") ? longField(body, "seed") : null;
        List<String> stop = new ArrayList<>();
        JsonNode s = body.get("stop");
        if (s != null && !s.isNull()) {
            if (s.isTextual()) stop.add(s.asText());
            else if (s.isArray()) for (JsonNode e : s) {
                if (!e.isTextual()) throw new Invalid("stop", "'stop' must be a string or a list of strings");
                stop.add(e.asText());
            }
            else throw new Invalid("stop", "'stop' must be a string or a list of strings");
            if (stop.size() > 4) throw new Invalid("stop", "at most 4 stop sequences, got " + stop.size());
            stop.removeIf(String::isEmpty);
        }
        if (intField(body, "n", 1) != 1) throw new Invalid("n", "this node returns one choice per prompt ('n' must be 1)");
        if (intField(body, "best_of", 1) != 1) throw new Invalid("best_of", "'best_of' is not supported (must be 1)");
        if (body.hasNonNull("logprobs")) throw new Invalid("logprobs", "'logprobs' is not supported");
        if (body.hasNonNull("stream") && body.get("stream").asBoolean()) throw new Invalid("stream", "streaming is not supported");
        boolean echo = body.hasNonNull("echo") && body.get("echo").asBoolean();
        return new CompletionRequest(model, List.copyOf(prompts), maxTokens, temperature, topP, topK, seed, List.copyOf(stop), echo);
    }

    private static String text(JsonNode body, String f) {
        JsonNode n = body.get(f);
        if (!n.isTextual()) throw new Invalid(f, "'" + f + "' must be a string");
        return n.asText();
    }

    private static double number(JsonNode body, String f, double dflt) {
        JsonNode n = body.get(f);
        if (n == null || n.isNull()) return dflt;
        if (!n.isNumber()) throw new Invalid(f, "'" + f + "' must be a number, got " + n);
        return n.asDouble();
    }

    private static int intField(JsonNode body, String f, int dflt) {
        JsonNode n = body.get(f);
        if (n == null || n.isNull()) return dflt;
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new Invalid(f, "'" + f + "' must be an integer, got " + n);
        return n.asInt();
    }

    private static long longField(JsonNode body, String f) {
        JsonNode n = body.get(f);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw new Invalid(f, "'" + f + "' must be an integer, got " + n);
        return n.asLong();
    }
}
