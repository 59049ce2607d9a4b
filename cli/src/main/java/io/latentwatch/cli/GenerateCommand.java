package io.latentwatch.cli;

import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.GenerationResult;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.model.ModelLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code latentwatch generate}: continue a prompt with a local checkpoint and print only the continuation. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text with a local checkpoint (llama2.c .bin or a Hugging Face Llama/GPT-2 directory) "
                + "using a KV cache; prints only the generated continuation.")
public final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "llama2.c checkpoint file or Hugging Face model directory.")
    Path model;
    @Option(names = "--tokenizer", description = "tokenizer.bin (llama2.c) or tokenizer.json; default: the one beside/inside the model.")
    Path tokenizer;
    @Option(names = "--prompt", defaultValue = "", description = "Prompt text (BOS is prepended when the model uses one). Default: empty.")
    String prompt;
    @Option(names = "--max-new-tokens", defaultValue = "256", description = "Tokens to generate at most (default ${DEFAULT-VALUE}).")
    int maxNewTokens;
    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature; 0 = greedy (default ${DEFAULT-VALUE}).")
    float temperature;
    @Option(names = "--top-k", defaultValue = "0", description = "Keep only the k most likely tokens; 0 = off (default ${DEFAULT-VALUE}).")
    int topK;
    @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus sampling threshold in (0, 1]; 1 = off (default ${DEFAULT-VALUE}, as llama2.c).")
    float topP;
    @Option(names = "--seed", description = "Random seed for sampling (default: time-based).")
    Long seed;

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        PrintWriter out = spec.commandLine().getOut();
        try (HookedTransformer m = ModelLoader.load(model, tokenizer)) {
            if (m.tokenizer() == null) {
                throw new IllegalArgumentException("no tokenizer found for " + model + ": pass --tokenizer");
            }
            int[] tokens = m.toTokens(prompt);
            GenerationConfig cfg = new GenerationConfig(maxNewTokens, temperature, topK, topP,
                    seed != null ? seed : System.nanoTime(), true, true);
            GenerationResult r = Generator.generate(m, tokens, cfg);
            out.println(r.text());
            out.flush();
        }
        return 0;
    }
}
