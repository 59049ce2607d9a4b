package io.latentwatch.interp.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.interp.tensor.SafeTensors;
import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads an EleutherAI sparsify SAE ({@code SparseCoder.load_from_disk}): {@code cfg.json}
 * ({@code d_in}, {@code k}, {@code num_latents} or {@code expansion_factor}, ...) and
 * {@code sae.safetensors} with {@code encoder.weight [d_sae, d_in]}, {@code encoder.bias},
 * {@code W_dec [d_sae, d_in]}, {@code b_dec}. sparsify's forward is
 * {@code top-k(ReLU((x − b_dec) encoder.weightᵀ + encoder.bias))}, decoded as {@code z W_dec + b_dec}:
 * a TopK SAE with {@code apply_b_dec_to_input = true} and W_enc = encoder.weightᵀ. A directory of
 * several hooks (one sub-directory each, as {@code SparseCoder.load_many} reads) needs
 * {@link SaeLoadOptions#hookpoint()}. Hook names map to TransformerLens's: {@code layers.N} →
 * {@code blocks.N.hook_resid_post}, {@code layers.N.mlp} → {@code blocks.N.hook_mlp_out},
 * {@code layers.N.self_attn} → {@code blocks.N.hook_attn_out}, {@code embed_tokens} → {@code hook_embed}.
 */
final class SparsifyFormat {
    static final String WEIGHTS = "sae.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LAYER = Pattern.compile("^(?:.*\\.)?layers[._](\\d+)(\\.mlp|\\.self_attn|\\.attn)?$");

    private SparsifyFormat() {}

    /** The hook sub-directories of a multi-hook directory (each with cfg.json and sae.safetensors), sorted. */
    static List<String> hookpoints(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p) && Files.exists(p.resolve(WEIGHTS)) && Files.exists(p.resolve(SaeFiles.CFG)))
                    .map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static SaeSource read(Path dir, SaeLoadOptions opt) throws IOException {
        if (!Files.exists(dir.resolve(WEIGHTS))) {
            List<String> hooks = hookpoints(dir);
            if (opt.hookpoint() == null) {
                if (hooks.size() != 1) {
                    throw new IOException(dir + ": a sparsify directory of " + hooks.size() + " hooks " + hooks
                            + "; choose one: --hookpoint " + hooks.get(0));
                }
                dir = dir.resolve(hooks.get(0));
            } else {
                if (!hooks.contains(opt.hookpoint())) {
                    throw new NoSuchFileException(dir.resolve(opt.hookpoint()) + ": no such hook in this sparsify directory (has " + hooks + ")");
                }
                dir = dir.resolve(opt.hookpoint());
            }
        }
        Path cfgFile = dir.resolve(SaeFiles.CFG);
        JsonNode c = JSON.readTree(Files.readString(cfgFile));
        if (!c.path("d_in").canConvertToInt()) throw new IOException(cfgFile + ": field 'd_in' missing or not an integer");
        if (!c.path("k").canConvertToInt()) throw new IOException(cfgFile + ": field 'k' missing or not an integer");
        refuseIf(c, "transcode", cfgFile, "a transcoder maps one hook to another; latentwatch reads autoencoders");
        refuseIf(c, "skip_connection", cfgFile, "the W_skip path is not part of an SAE's latents or reconstruction here");
        refuseIf(c, "signed", cfgFile, "signed top-k latents are not computed by latentwatch");
        String act = c.path("activation").asText("topk");
        if (!"topk".equals(act)) throw new IOException(cfgFile + ": field 'activation' is '" + act + "'; latentwatch reads top-k sparsify SAEs");
        int dIn = c.get("d_in").asInt();
        int dSae = c.path("num_latents").asInt(0) > 0 ? c.get("num_latents").asInt() : dIn * c.path("expansion_factor").asInt(0);
        if (dSae <= 0) throw new IOException(cfgFile + ": neither 'num_latents' nor 'expansion_factor' gives the number of latents");
        Path weights = dir.resolve(WEIGHTS);
        SafeTensors st = SafeTensors.open(weights);
        List<String> known = List.of("encoder.weight", "encoder.bias", "W_dec", "b_dec");
        for (String n : known) if (!st.contains(n)) throw new IOException(weights + ": missing tensor '" + n + "' (has " + st.names() + ")");
        for (String n : st.names()) {
            if (!known.contains(n)) throw new IOException(weights + ": tensor '" + n + "' is not understood (a sparsify SAE has " + known + ")");
        }
        String name = dir.getFileName().toString();
        String hook = opt.hookName() != null ? opt.hookName() : hookOf(name);
        if (hook == null) {
            throw new IOException(dir + ": sparsify hook '" + name + "' has no TransformerLens name known to latentwatch "
                    + "(layers.N, layers.N.mlp, layers.N.self_attn, embed_tokens); give it: --hook blocks.N.hook_resid_post");
        }
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("W_enc", LlamaScopeFormat.transpose(st.get("encoder.weight", dSae, dIn)));
        t.put("b_enc", st.get("encoder.bias", dSae));
        t.put("W_dec", st.get("W_dec", dSae, dIn));
        t.put("b_dec", st.get("b_dec", dIn));
        List<String> notes = new ArrayList<>();
        notes.add("W_enc = encoder.weight^T; b_dec subtracted from the input, as sparsify's encode does");
        if (opt.hookName() == null) notes.add("hook " + hook + " from sparsify's '" + name + "'");
        SaeConfig cfg = new SaeConfig(dIn, dSae, SaeConfig.TOPK, c.get("k").asInt(), hook, SaeConfig.layerOf(hook), "", true, "none",
                "float32", 2048, true, "", false, false);
        return new SaeSource(SaeFormat.SPARSIFY, dir, cfg, t, st.dtype("encoder.weight").safetensorsName(), notes);
    }

    private static void refuseIf(JsonNode c, String field, Path file, String why) throws IOException {
        if (c.path(field).asBoolean(false)) throw new IOException(file + ": field '" + field + "' is true; " + why + ": not loaded");
    }

    /** TransformerLens's name for a sparsify hookpoint, or null. */
    static String hookOf(String hookpoint) {
        if ("embed_tokens".equals(hookpoint) || hookpoint.endsWith(".embed_tokens")) return "hook_embed";
        Matcher m = LAYER.matcher(hookpoint);
        if (!m.matches()) return null;
        String site = m.group(2);
        if (site == null) return "blocks." + m.group(1) + ".hook_resid_post";
        return ".mlp".equals(site) ? "blocks." + m.group(1) + ".hook_mlp_out" : "blocks." + m.group(1) + ".hook_attn_out";
    }
}
