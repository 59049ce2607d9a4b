package io.latentwatch.interp.model;

import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Hugging Face GPT2LMHeadModel directories. GPT-2's Conv1D modules already store weights [in, out];
 * c_attn fuses q|k|v along the output axis. Tensor names may carry a "transformer." prefix or not.
 */
final class HfGpt2Loader {
    private HfGpt2Loader() {}

    static ModelWeights load(HfCheckpoint ck) throws IOException {
        int d = ck.intCfg("n_embd", Integer.MIN_VALUE);
        int nh = ck.intCfg("n_head", Integer.MIN_VALUE);
        int layers = ck.intCfg("n_layer", Integer.MIN_VALUE);
        int m = ck.intCfg("n_inner", 4 * d);
        int v = ck.intCfg("vocab_size", Integer.MIN_VALUE);
        int ctx = ck.intCfg("n_positions", ck.intCfg("n_ctx", 1024));
        String act = ck.strCfg("activation_function");
        if (act != null && !act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new IOException(ck.dir + "/config.json: activation_function '" + act + "' is not supported (gelu_new)");
        }
        // Variants that change the attention scale (Stanford CRFM GPT-2s etc.) would run with wrong numbers: refuse.
        if (!ck.boolCfg("scale_attn_weights", true)) {
            throw new IOException(ck.dir + "/config.json: scale_attn_weights=false (no 1/sqrt(d_head)) is not supported");
        }
        if (ck.boolCfg("scale_attn_by_inverse_layer_idx", false)) {
            throw new IOException(ck.dir + "/config.json: scale_attn_by_inverse_layer_idx=true is not supported");
        }
        ModelConfig c = ModelConfig.gpt2(d, layers, nh, m, v, ctx, (float) ck.numCfg("layer_norm_epsilon", 1e-5),
                ck.intCfg("bos_token_id", -1), ck.intCfg("eos_token_id", -1));
        String pre = ck.has("transformer.wte.weight") ? "transformer." : "";
        Tensor wte = ck.get(pre + "wte.weight", v, d);
        Tensor wpe = ck.get(pre + "wpe.weight", ctx, d);
        List<LayerWeights> ls = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            String p = pre + "h." + l + ".";
            Tensor[] qkv = TransformerParams.splitCols(ck.get(p + "attn.c_attn.weight", d, 3 * d), d, d, d);
            Tensor[] bqkv = TransformerParams.splitVec(ck.get(p + "attn.c_attn.bias", 3 * d), d, d, d);
            ls.add(new LayerWeights(ck.get(p + "ln_1.weight", d), ck.get(p + "ln_1.bias", d), qkv[0], qkv[1], qkv[2],
                    bqkv[0], bqkv[1], bqkv[2], ck.get(p + "attn.c_proj.weight", d, d), ck.get(p + "attn.c_proj.bias", d),
                    ck.get(p + "ln_2.weight", d), ck.get(p + "ln_2.bias", d), null, ck.get(p + "mlp.c_fc.weight", d, m),
                    ck.get(p + "mlp.c_fc.bias", m), ck.get(p + "mlp.c_proj.weight", m, d), ck.get(p + "mlp.c_proj.bias", d)));
        }
        return new ModelWeights(c, wte, wpe, ls, ck.get(pre + "ln_f.weight", d), ck.get(pre + "ln_f.bias", d),
                ModelWeights.transpose(wte), null).validate();
    }
}
