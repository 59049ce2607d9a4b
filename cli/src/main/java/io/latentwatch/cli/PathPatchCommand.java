package io.latentwatch.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.paths.Component;
import io.latentwatch.interp.paths.HtmlReport;
import io.latentwatch.interp.paths.Hypothesis;
import io.latentwatch.interp.paths.PathAnalyses;
import io.latentwatch.interp.paths.PatchingTask;
import io.latentwatch.interp.paths.TaskBuilders;
import io.latentwatch.interp.paths.TaskFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "path-patch", mixinStandardHelpOptions = true,
        description = {
                "Path patching (Goldowsky-Dill et al. 2023): run a hypothesis's paths on the clean input and everything else on",
                "the reference input (treeified model) and report the proportion of the effect explained,",
                "1 - unexplained/total, with a 95%% bootstrap interval over prompt pairs. Writes DIR/path-patch.json,",
                "DIR/report.html and heat maps (PNG).",
                "",
                "Without --hypothesis/--sweep the built-in analysis of the task runs: induction (previous-token heads ->",
                "induction heads through K-composition, naive vs refined hypotheses, sweep into the top induction head) or",
                "ioi (name movers from direct paths, their query senders, hypotheses).",
                "",
                "Hypothesis FILE (JSON): {\"name\": \"naive induction\", \"paths\": [\"embed -> L0H3.v -> L1H2.k -> logits\",",
                "  \"embed -> L1H2.v -> logits\"]}. Components: embed, LxHy (layer x, head y), mlpX, logits; a receiving head",
                "  names its input: .q, .k or .v. A path must end at logits. A path starting at a head or MLP stands for every",
                "  path from the input into it (that component computed on the clean input).",
                "Task FILE (JSON): {\"name\": ..., \"metric\": \"logit_diff\"|\"loss\", \"pairs\": [{\"clean\": TEXT|[ids],",
                "  \"reference\": TEXT|[ids], \"answer\": TOKEN, \"wrong\": TOKEN}]}; equal token counts, metric at the last position.",
                "Sweep: for each sender S and input p of RECEIVER the path S -> RECEIVER.p -> logits (and, unless --direct-only,",
                "  RECEIVER's output also through every later MLP); heat maps per input.",
        })
public final class PathPatchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "checkpoint: llama2.c .bin or Hugging Face directory")
    Path model;

    @Option(names = "--tokenizer", description = "tokenizer file (tokenizer.bin / tokenizer.json); default: found beside the model")
    Path tokenizer;

    @Option(names = "--task", required = true, description = "induction, ioi, or a task FILE (JSON, see above)")
    String task;

    @Option(names = "--hypothesis", description = "hypothesis FILE (JSON, see above) to score")
    Path hypothesis;

    @Option(names = "--sweep", description = "receiver (e.g. L1H2 or logits): every sender into each of its inputs")
    String sweep;

    @Option(names = "--direct-only", description = "sweep: the receiver's output goes straight to the logits (default: also through every later MLP)")
    boolean directOnly;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Option(names = "--pairs", defaultValue = "40", description = "prompt pairs for built-in tasks (default ${DEFAULT-VALUE})")
    int pairs;

    @Option(names = "--length", defaultValue = "10", description = "repeated-sequence length for induction (default ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--seed", defaultValue = "20231", description = "prompt seed (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        if (hypothesis != null && sweep != null) throw new IllegalArgumentException("give --hypothesis or --sweep, not both");
        Files.createDirectories(out);
        try (HookedTransformer m = HookedTransformer.load(model, tokenizer)) {
            PatchingTask t = switch (task) {
                case "induction" -> TaskBuilders.induction(m.config().bosId(),
                        m.tokenizer() == null ? range(m.config().vocabSize()) : TaskBuilders.ordinaryTokens(m.tokenizer(), m.config().vocabSize(), 4 * length),
                        length, pairs, seed);
                case "ioi" -> {
                    if (m.tokenizer() == null) throw new IllegalArgumentException("the ioi task needs a tokenizer");
                    PatchingTask x;
                    try {
                        x = TaskBuilders.ioi(m.tokenizer(), TaskBuilders.zooTemplate(), pairs, seed);
                    } catch (IllegalArgumentException e) {
                        x = TaskBuilders.ioi(m.tokenizer(), TaskBuilders.storiesTemplate(), pairs, seed);
                    }
                    yield x;
                }
                default -> TaskFile.read(Path.of(task), m.tokenizer());
            };
            HtmlReport html = new HtmlReport("path patching: " + m.modelId() + ", task " + t.name());
            ObjectNode result;
            if (hypothesis != null) result = PathAnalyses.hypothesis(m, t, Hypothesis.read(hypothesis), html);
            else if (sweep != null) result = PathAnalyses.sweep(m, t, Component.parse(sweep), !directOnly, out, html);
            else if (t.name().equals("induction") && task.equals("induction")) result = PathAnalyses.induction(m, t, length, out, html);
            else if (task.equals("ioi")) result = PathAnalyses.ioi(m, t, out, html);
            else throw new IllegalArgumentException("a task FILE needs --hypothesis or --sweep");
            result.put("model", m.modelId());
            result.put("model_sha256", m.versionHash());
            PathAnalyses.writeJson(result, out.resolve("path-patch.json"));
            html.write(out.resolve("report.html"));
            System.out.println("wrote " + out.resolve("path-patch.json") + " and " + out.resolve("report.html"));
        }
        return 0;
    }


    private static int[] range(int n) {
        int[] r = new int[n - 1];
        for (int i = 1; i < n; i++) r[i - 1] = i;
        return r;
    }
}
