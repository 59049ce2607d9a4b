package io.latentwatch.cli;

import java.io.FileNotFoundException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code latentwatch} command. Subcommands live in their own classes in this package and are
 * registered here.
 */
@Command(name = "latentwatch",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
                "Watches the inside of deployed language models: inference nodes publish sampled hidden "
                        + "states to Kafka, a Kafka Streams monitor validates them, scores them against running "
                        + "baselines and raises alerts.",
                "",
                "Start with 'latentwatch demo' (everything in one process, no setup)."},
        subcommands = {
                DemoCommand.class, NodeCommand.class, TrafficCommand.class, MonitorCommand.class, AuditCommand.class,
                KafkaCommand.class, RegistryCommand.class, TopicsCommand.class, ConsumeCommand.class, TrainerCommand.class, ExamplesCommand.class, ChaosCommand.class,
                AlertRouterCommand.class,
                GenerateCommand.class, InspectCommand.class, ModelsCommand.class, ZooCommand.class,
                TrainCommand.class, LensCommand.class, PatchscopeCommand.class, PatchscopeExperimentsCommand.class,
                PathPatchCommand.class, SuccessorHeadsCommand.class,
                SaeCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // DJL must never probe the network (cloud metadata address) on start: see DESIGN.md.
        System.setProperty("ai.djl.offline", "true");
        Logging.configure(args);
        System.exit(commandLine().execute(args));
    }

    /** The command tree, for main() and tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpAutoWidth(true); // use the terminal's width: several commands explain their file formats at length
        cl.registerConverter(Duration.class, new DurationConverter());
        cl.setExecutionExceptionHandler(Main::reportFailure);
        return cl;
    }

    /**
     * A wrong argument or a missing file is the user's to fix: one line saying what is wrong and where
     * the help is, exit code 2 (as for picocli's own usage errors). Anything else is a bug or an
     * outage: the stack trace, exit code 1.
     */
    static int reportFailure(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        if (e instanceof IllegalArgumentException || e instanceof NoSuchFileException
                || e instanceof FileNotFoundException) {
            String what = e instanceof NoSuchFileException ? "no such file: " + e.getMessage() : e.getMessage();
            cl.getErr().println(cl.getCommandSpec().qualifiedName() + ": " + what);
            cl.getErr().println("Run '" + cl.getCommandSpec().qualifiedName() + " --help' for usage.");
            cl.getErr().flush();
            return 2;
        }
        e.printStackTrace(cl.getErr());
        cl.getErr().flush();
        return 1;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"latentwatch " + (v == null ? "0.1.0-SNAPSHOT" : v),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
