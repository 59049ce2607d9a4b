package io.latentwatch.chaos;

import io.latentwatch.common.ArtifactStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/** Injects one scenario's fault into the stack and lifts it again; returns facts the report shows. */
final class Faults {
    static final String SAE_HOOK = "blocks.1.hook_resid_post";
    static final String MODEL = "zoo-small";
    private final LocalStack stack;

    Faults(LocalStack stack) {
        this.stack = stack;
    }

    /** Before the reference run: scenarios of "the only monitor" run with monitor-1 alone. */
    void prepare(Scenario s) throws IOException, InterruptedException {
        if (s == Scenario.MONITOR_KILL_ONLY || s == Scenario.MONITOR_KILL_ONLY_WIPED) stack.stop("monitor-2");
    }

    /** The fault, while traffic runs; returns when it is lifted (the killed service restarted, the paused one resumed). */
    Map<String, Object> inject(Scenario s) throws Exception {
        Map<String, Object> facts = new LinkedHashMap<>();
        switch (s) {
            case MONITOR_KILL_ONE -> stack.kill9("monitor-2");
            case MONITOR_KILL_ONLY -> {
                stack.kill9("monitor-1");
                stack.start("monitor-1");
            }
            case MONITOR_KILL_ONLY_WIPED -> {
                stack.kill9("monitor-1");
                deleteTree(stack.monitorState(1));
                stack.start("monitor-1");
            }
            case BROKER_RESTART -> {
                stack.stop("kafka");
                stack.start("kafka");
            }
            case BROKER_KILL -> {
                stack.kill9("kafka");
                stack.start("kafka");
            }
            case REGISTRY_DOWN -> {
                stack.kill9("registry");
                Thread.sleep(30_000);
                stack.start("registry");
            }
            case NODE_BROKER_UNREACHABLE -> {
                stack.signal("kafka", "STOP");
                try {
                    Thread.sleep(60_000);
                } finally {
                    stack.signal("kafka", "CONT");
                }
            }
            case TRAINER_KILL_PUBLISHING -> facts.putAll(killTrainerWhilePublishing());
        }
        return facts;
    }

    /** After the fault run: everything runs again (monitor-2 of the single-monitor scenarios, the killed one). */
    void restore() throws IOException, InterruptedException {
        stack.up(Duration.ofMinutes(10));
    }

    /**
     * New examples start a refit; the trainer is killed the moment the new version's staging directory or version
     * directory appears in the artifact store (it is writing the artifact). The version in force must still verify.
     */
    private Map<String, Object> killTrainerWhilePublishing() throws Exception {
        ArtifactStore store = new ArtifactStore(stack.artifacts());
        ArtifactStore.Current before = store.current(MODEL, SAE_HOOK);
        Path hookDir = stack.artifacts().resolve(ArtifactStore.safe(MODEL)).resolve(ArtifactStore.safe(SAE_HOOK));
        long entriesBefore = count(hookDir);
        LocalStack.Result pub = stack.latentwatch(Duration.ofMinutes(2), "examples", "publish", "--model-id", MODEL,
                "--reference", "400", "--seed", Long.toString(System.nanoTime() % 100_000));
        if (!pub.ok()) throw new IllegalStateException("could not publish examples for the refit: " + pub.output());
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        boolean caught = false;
        while (System.nanoTime() < deadline) {
            if (count(hookDir) > entriesBefore) { caught = true; break; }
            Thread.sleep(20);
        }
        stack.kill9("trainer");
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("killed_while_writing_artifact", caught);
        ArtifactStore.Current after = store.current(MODEL, SAE_HOOK);
        f.put("version_in_force_before", before == null ? null : before.version());
        f.put("version_in_force_after_kill", after == null ? null : after.version());
        boolean verified;
        try {
            ArtifactStore.verify(after.uri(), after.sha256());
            verified = true;
        } catch (IOException | RuntimeException e) {
            verified = false;
            f.put("verify_error", e.getMessage());
        }
        f.put("artifact_in_force_verifies", verified);
        stack.start("trainer");
        return f;
    }

    private static long count(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().equals("current.json")).count();
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
