package io.latentwatch.interp.model;

import io.latentwatch.interp.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Hugging Face LlamaForCausalLM directories. HF stores nn.Linear weights [out, in] (transposed here to
 * [in, out]) and its q/k projections already use the rotate-half RoPE layout the runtime uses.
 */
final class HfLlamaLoader {
    private HfLlamaLoader() {}

    static ModelWeights load(HfCheckpoint ck) throws IOException {
        if (ck.config.hasNonNull("rope_scaling")) {
            throw new IOException(ck.dir + "/config.json: rope_scaling " + ck.config.get("rope_scaling") + " is not supported");
        }
        if (ck.boolCfg("attention_bias", false) || ck.boolCfg("mlp_bias", false)) {
            throw new IOException(ck.dir + "/config.json: attention_bias/mlp_bias Llama variants are not supported");
        }
        int d = ck.intCfg("hidden_size", Integer.MIN_VALUE);
        int nh = ck.intCfg("num_attention_heads", Integer.MIN_VALUE);
        int nkv = ck.intCfg("num_key_value_heads", nh);
        int dh = ck.intCfg("head_dim", d / nh);
        int layers = ck.intCfg("num_hidden_layers", Integer.MIN_VALUE);
        int m = ck.intCfg("intermediate_size", Integer.MIN_VALUE);
        int v = ck.intCfg("vocab_size", Integer.MIN_VALUE);
        int ctx = ck.intCfg("max_position_embeddings", 2048);
        boolean tied = ck.boolCfg("tie_word_embeddings", false);
        String act = ck.strCfg("hidden_act");
        if (act != null && !act.equals("silu")) throw new IOException(ck.dir + "/config.json: hidden_act '" + act + "' is not supported (silu)");
        ModelConfig c = new ModelConfig(Architecture.LLAMA, d, layers, nh, nkv, dh, m, v, ctx,
                (float) ck.numCfg("rms_norm_eps", 1e-6), (float) ck.numCfg("rope_theta", 10000.0), tied,
                ck.intCfg("bos_token_id", -1), ck.intCfg("eos_token_id", -1));
        Tensor emb = ck.get("model.embed_tokens.weight", v, d);
        List<LayerWeights> ls = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            ls.add(new LayerWeights(ck.get(p + "input_layernorm.weight", d), null,
                    ModelWeights.transpose(ck.get(p + "self_attn.q_proj.weight", nh * dh, d)),
                    ModelWeights.transpose(ck.get(p + "self_attn.k_proj.weight", nkv * dh, d)),
                    ModelWeights.transpose(ck.get(p + "self_attn.v_proj.weight", nkv * dh, d)), null, null, null,
                    ModelWeights.transpose(ck.get(p + "self_attn.o_proj.weight", d, nh * dh)), null,
                    ck.get(p + "post_attention_layernorm.weight", d), null,
                    ModelWeights.transpose(ck.get(p + "mlp.gate_proj.weight", m, d)),
                    ModelWeights.transpose(ck.get(p + "mlp.up_proj.weight", m, d)), null,
                    ModelWeights.transpose(ck.get(p + "mlp.down_proj.weight", d, m)), null));
        }
        Tensor norm = ck.get("model.norm.weight", d);
        Tensor head = tied || !ck.has("lm_head.weight") ? emb : ck.get("lm_head.weight", v, d);
        if (!tied && !ck.has("lm_head.weight")) {
            throw new IOException(ck.dir + ": missing tensor 'lm_head.weight' [" + v + ", " + d + "] and tie_word_embeddings is false");
        }
        return new ModelWeights(c, emb, null, ls, norm, null, ModelWeights.transpose(head), null).validate();
    }
}
