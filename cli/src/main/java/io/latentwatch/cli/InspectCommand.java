package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.hooks.HookName;
import io.latentwatch.interp.model.ForwardResult;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelLoader;
import io.latentwatch.interp.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code latentwatch inspect}: run one prompt and print chosen hook activations and the last position's logits.
 * JSON: {"model", "version", "token_ids", "tokens", "hooks": {name: [position][...]}, "last_logits"}.
 * Attention maps are re-indexed [q_pos][head][k_pos] so that every hook's first index is the position;
 * masked attention scores (-inf) are written as null.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Run one prompt through a checkpoint and print hook activations (TransformerLens names, e.g. "
                + "blocks.0.hook_resid_pre, blocks.1.attn.hook_z) and the last position's logits.")
public final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "llama2.c checkpoint file or Hugging Face model directory.")
    Path model;
    @Option(names = "--tokenizer", description = "tokenizer.bin or tokenizer.json; default: the one beside/inside the model.")
    Path tokenizer;
    @Option(names = "--prompt", required = true, description = "Prompt text (BOS is prepended when the model uses one).")
    String prompt;
    @Option(names = "--hook", description = "Hook to print (repeatable). Use --list-hooks to see them all.")
    List<String> hooks = new ArrayList<>();
    @Option(names = "--json", description = "Print one JSON object (token_ids, tokens, hooks, last_logits).")
    boolean json;
    @Option(names = "--list-hooks", description = "List the model's hook names and exit.")
    boolean listHooks;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        PrintWriter out = spec.commandLine().getOut();
        try (HookedTransformer m = ModelLoader.load(model, tokenizer)) {
            if (listHooks) {
                m.hookNames().forEach(out::println);
                out.flush();
                return 0;
            }
            if (m.tokenizer() == null) throw new IllegalArgumentException("no tokenizer found for " + model + ": pass --tokenizer");
            int[] ids = m.toTokens(prompt);
            ForwardResult r = m.runWithCache(ids, hooks);
            float[] last = r.lastLogits();
            if (json) {
                ObjectNode root = JSON.createObjectNode();
                root.put("model", m.modelId());
                root.put("version", m.versionHash());
                ArrayNode tid = root.putArray("token_ids");
                ArrayNode tstr = root.putArray("tokens");
                for (int id : ids) {
                    tid.add(id);
                    tstr.add(m.tokenizer().tokenString(id));
                }
                ObjectNode hk = root.putObject("hooks");
                for (String h : hooks) hk.set(h, nested(positionFirst(h, r.cache().get(h))));
                ArrayNode ll = root.putArray("last_logits");
                for (float v : last) ll.add(v);
                out.println(JSON.writeValueAsString(root));
            } else {
                out.printf("model %s (%s) sha256 %s%n", m.modelId(), m.config().architecture(), m.versionHash());
                for (int i = 0; i < ids.length; i++) out.printf("%4d %6d %s%n", i, ids[i], m.tokenizer().tokenString(ids[i]));
                for (String h : hooks) {
                    Tensor t = r.cache().get(h);
                    out.printf("%s %s%n", h, Arrays.toString(t.shape()));
                }
                int best = 0;
                for (int i = 1; i < last.length; i++) if (last[i] > last[best]) best = i;
                out.printf("next token (argmax): %d %s logit %.4f%n", best, m.tokenizer().tokenString(best), last[best]);
            }
            out.flush();
        }
        return 0;
    }

    /** Attention maps come as [head, q, k]: re-index to [q, head, k]. */
    static Tensor positionFirst(String hook, Tensor t) {
        if (!HookName.isAttentionMap(hook)) return t;
        int h = t.dim(0), q = t.dim(1), k = t.dim(2);
        float[] src = t.data(), dst = new float[src.length];
        for (int hh = 0; hh < h; hh++) {
            for (int i = 0; i < q; i++) System.arraycopy(src, (hh * q + i) * k, dst, (i * h + hh) * k, k);
        }
        return new Tensor(dst, q, h, k);
    }

    static ArrayNode nested(Tensor t) {
        ArrayNode root = JSON.createArrayNode();
        fill(root, t.data(), t.shape(), 0, 0);
        return root;
    }

    private static int fill(ArrayNode node, float[] data, int[] shape, int axis, int offset) {
        if (axis == shape.length - 1) {
            for (int i = 0; i < shape[axis]; i++) {
                float v = data[offset + i];
                if (Float.isFinite(v)) node.add(v); else node.addNull();
            }
            return offset + shape[axis];
        }
        for (int i = 0; i < shape[axis]; i++) offset = fill(node.addArray(), data, shape, axis + 1, offset);
        return offset;
    }
}
