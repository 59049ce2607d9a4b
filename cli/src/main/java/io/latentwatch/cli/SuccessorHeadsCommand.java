package io.latentwatch.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.paths.HtmlReport;
import io.latentwatch.interp.paths.PathAnalyses;
import io.latentwatch.interp.successor.ContextualInputs;
import io.latentwatch.interp.successor.OrdinalTask;
import io.latentwatch.interp.successor.SuccessorAnalysis;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "successor-heads", mixinStandardHelpOptions = true,
        description = {
                "Successor heads (Gould et al. 2023): finds the ordinal tasks whose items are single tokens (numbers 0-99,",
                "number words, weekdays, months, letters), scores every head's effective OV circuit (embedding -> MLP0 ->",
                "W_V W_O -> unembedding) by how often the successor is its top token among the task's tokens, ranks the",
                "heads against a random-init control, and for the best head: greater-than bias (OV vs MLP0 output),",
                "mod-10 features of number tokens (held-out linear probe, subspace ablation) and vector-arithmetic edits.",
                "Writes DIR/successor-heads.json, DIR/report.html and heat maps (PNG).",
        })
public final class SuccessorHeadsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "checkpoint: llama2.c .bin or Hugging Face directory")
    Path model;

    @Option(names = "--tokenizer", description = "tokenizer file; default: found beside the model")
    Path tokenizer;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Files.createDirectories(out);
        try (HookedTransformer m = HookedTransformer.load(model, tokenizer)) {
            if (m.tokenizer() == null) throw new IllegalArgumentException("successor-heads needs a tokenizer to find ordinal tokens");
            List<OrdinalTask> tasks = OrdinalTask.find(m.tokenizer(), m.config().vocabSize());
            if (tasks.isEmpty()) throw new IllegalArgumentException("no ordinal sequence of single tokens in the vocabulary of " + m.modelId());
            HtmlReport html = new HtmlReport("successor heads: " + m.modelId());
            int[] all = tasks.stream().flatMapToInt(t -> Arrays.stream(t.presentIds())).distinct().toArray();
            ObjectNode o = SuccessorAnalysis.run(m.params().toWeights(), tasks, m.modelId(),
                    new ContextualInputs(m, all), out, html);
            o.put("model_sha256", m.versionHash());
            PathAnalyses.writeJson(o, out.resolve("successor-heads.json"));
            html.write(out.resolve("report.html"));
            System.out.println("wrote " + out.resolve("successor-heads.json") + " and " + out.resolve("report.html"));
        }
        return 0;
    }

}
