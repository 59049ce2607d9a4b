package io.latentwatch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.latentwatch.node.InferenceNode;
import io.latentwatch.node.ModelLocator;
import io.latentwatch.node.NodeOverheadBench;
import io.latentwatch.interp.model.HookedTransformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code latentwatch bench node}: generation time with and without hidden-state sampling, in the same run. */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Measure the inference node's sampling overhead: the same requests (same prompts and seeds) generated "
                + "with sampling off and with one hook sampled on every request (last position, F16, through the real "
                + "publisher and Avro serializer into a mock producer), in interleaved repeats; reports the medians and the "
                + "median per-repeat overhead in percent."})
public final class BenchNodeCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Checkpoint (default: the zoo model, else stories260K)")
    Path model;

    @Option(names = "--tokenizer", description = "Tokenizer when not beside the model")
    Path tokenizer;

    @Option(names = "--hook", description = "Hook sampled on every request (default: blocks.1.hook_resid_post)")
    String hook;

    @Option(names = "--requests", defaultValue = "8", description = "Requests per timed repeat (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--max-tokens", defaultValue = "64", description = "Tokens generated per request (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--repeats", defaultValue = "9", description = "Timed repeats of each mode (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--json", description = "Print JSON only")
    boolean json;

    @Override
    public Integer call() throws Exception {
        CliSupport.offline();
        ModelLocator.Located loc = model != null ? new ModelLocator.Located(model, tokenizer) : ModelLocator.locateDefault();
        try (HookedTransformer m = HookedTransformer.load(loc.model(), tokenizer != null ? tokenizer : loc.tokenizer())) {
            String h = hook != null ? hook : InferenceNode.defaultHook(m);
            Map<String, Object> r = NodeOverheadBench.run(m, InferenceNode.modelIdOf(loc.model()), h, requests, maxTokens, repeats);
            if (json) System.out.println(new ObjectMapper().writeValueAsString(r));
            else r.forEach((k, v) -> System.out.printf("%-32s %s%n", k, v));
            return 0;
        }
    }
}
