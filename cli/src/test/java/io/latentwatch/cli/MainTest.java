package io.latentwatch.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {
    private static String run(int expectedExit, String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        assertEquals(expectedExit, rc, "exit code of " + String.join(" ", args) + ": " + err);
        return out + err.toString();
    }

    @Test
    void everySubcommandHasHelpWithARealDescriptionAndDescribedOptions() {
        String root = run(0, "--help");
        assertTrue(root.contains("Watches the inside of deployed language models"), root);
        Map<String, CommandLine> subs = Main.commandLine().getSubcommands();
        assertTrue(subs.keySet().containsAll(List.of("demo", "kafka", "monitor", "node", "traffic", "audit", "generate", "inspect", "models", "zoo",
                "train", "lens", "patchscope", "patchscope-eval", "path-patch", "successor-heads", "bench", "trainer", "sae", "help")), subs.keySet().toString());
        for (Map.Entry<String, CommandLine> e : subs.entrySet()) {
            if (e.getKey().equals("help")) continue;
            String help = run(0, e.getKey(), "--help");
            assertTrue(help.contains("Usage: latentwatch " + e.getKey()), help);
            CommandLine.Model.CommandSpec spec = e.getValue().getCommandSpec();
            assertTrue(spec.usageMessage().description().length > 0, e.getKey() + " has no description");
            for (CommandLine.Model.OptionSpec o : spec.options()) {
                assertTrue(o.description().length > 0 && !o.description()[0].isBlank(), e.getKey() + " " + o.longestName());
            }
        }
        // bench's own subcommands too
        for (Map.Entry<String, CommandLine> e : subs.get("bench").getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            String help = run(0, "bench", e.getKey(), "--help");
            assertTrue(help.contains("Usage: latentwatch bench " + e.getKey()), help);
            for (CommandLine.Model.OptionSpec o : e.getValue().getCommandSpec().options()) {
                assertTrue(o.description().length > 0 && !o.description()[0].isBlank(), "bench " + e.getKey() + " " + o.longestName());
            }
        }
        String publish = run(0, "sae", "publish", "--help");
        assertTrue(publish.contains("Usage: latentwatch sae publish") && publish.contains("--prompts"), publish);
        String trainer = run(0, "trainer", "--help");
        for (String key : new String[]{"--circuit-task", "--reannounce", "--health-port", "LATENTWATCH_BOOTSTRAP_SERVERS", "LATENTWATCH_KAFKA_"}) {
            assertTrue(trainer.contains(key), "trainer --help lacks " + key);
        }
        assertTrue(subs.get("bench").getSubcommands().keySet().containsAll(List.of("monitor", "node", "sae-train", "model", "lens")));
    }

    @Test
    void demoDefaultsToThirtySecondsAndAcceptsHumanDurations() {
        CommandLine cl = Main.commandLine();
        CommandLine.ParseResult pr = cl.parseArgs("demo");
        DemoCommand demo = (DemoCommand) pr.subcommand().commandSpec().userObject();
        assertEquals(Duration.ofSeconds(30), demo.duration);
        pr = Main.commandLine().parseArgs("demo", "--duration", "2m", "--summary-json", "s.json");
        demo = (DemoCommand) pr.subcommand().commandSpec().userObject();
        assertEquals(Duration.ofMinutes(2), demo.duration);
        assertEquals("s.json", demo.summaryJson.toString());
    }

    @Test
    void aBadDurationIsAUsageError() {
        String out = run(2, "demo", "--duration", "soon");
        assertTrue(out.contains("soon") && out.contains("not a duration"), out);
        assertNotEquals(0, Main.commandLine().execute("no-such-command"));
    }

    @Test
    void aMisusedOptionIsOneLineWithExitCodeTwoNotAStackTrace() {
        // --model now also serves explanations (not only --lens-trajectory): the misuse is a checkpoint that is not there.
        String out = run(2, "monitor", "--model", "no/such/model.bin", "--bootstrap-servers", "127.0.0.1:1");
        assertTrue(out.contains("latentwatch monitor: no such file: model model not found: no/such/model.bin"), out);
        assertTrue(out.contains("--help"), out);
        assertTrue(!out.contains("\tat io.latentwatch"), "no stack trace: " + out);
    }
}
