package io.latentwatch.node;

import io.latentwatch.interp.model.HeadOutputs;
import io.latentwatch.interp.generate.GenerationConfig;
import io.latentwatch.interp.generate.GenerationResult;
import io.latentwatch.interp.generate.Generator;
import io.latentwatch.interp.hooks.HookName;
import io.latentwatch.interp.hooks.HookPoints;
import io.latentwatch.interp.hooks.Hooks;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.publisher.ActivationEncoder;
import io.latentwatch.publisher.HiddenStatePublisher;
import io.latentwatch.publisher.SamplingPolicy;
import io.latentwatch.schema.Activation;
import io.latentwatch.schema.HiddenStateSample;
import io.latentwatch.schema.SamplingMetadata;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A reference inference node: generates completions on a real checkpoint with the interp runtime
 * and, for the requests the {@link SamplingPolicy} picks, captures the chosen hooks at the chosen
 * positions during generation ({@link SampleCapture}) and hands one {@link HiddenStateSample} per
 * request to the {@link HiddenStatePublisher}, whose {@code publish} never blocks: Kafka being slow
 * or down costs samples, never request latency.
 *
 * <p>Generations are serialised (one at a time): libtorch already spreads one forward over the
 * cores, and concurrent generations would only compete for them.
 */
public final class InferenceNode implements AutoCloseable {
    private final HookedTransformer model;
    private final String modelId;
    private final SamplingPolicy policy;
    private final List<String> hooks;
    private final HiddenStatePublisher publisher;
    private final ActivationEncoder encoder;
    private final String nodeId;
    private final boolean tokenText;
    /** hook_z hooks published as per-head outputs z_h W_O[h] at the prompt's last position (circuit detection); see {@link #withCircuitHooks}. */
    private volatile Set<String> circuitHooks = Set.of();
    private volatile HeadOutputs headOutputs;
    private final ReentrantLock generation = new ReentrantLock(true);
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong sampled = new AtomicLong();
    private final AtomicLong enqueued = new AtomicLong();
    private final AtomicLong notEnqueued = new AtomicLong();
    private final LongAdder samplingNanos = new LongAdder();
    private final LongAdder captureNanos = new LongAdder();
    private final AtomicLong seeds = new AtomicLong(System.nanoTime());

    /**
     * @param policy    null = sampling off (the node only serves completions)
     * @param hooks     hooks to capture on sampled requests (validated against the model)
     * @param publisher where samples go; null = sampling off
     * @param tokenText whether samples carry token strings (off by default: prompts can be personal data)
     */
    public InferenceNode(HookedTransformer model, String modelId, SamplingPolicy policy, List<String> hooks,
                         HiddenStatePublisher publisher, ActivationEncoder encoder, String nodeId, boolean tokenText) {
        this.model = Objects.requireNonNull(model, "model");
        if (model.tokenizer() == null) throw new IllegalArgumentException("model " + model.modelId() + " has no tokenizer: pass --tokenizer");
        this.modelId = modelId;
        this.policy = policy;
        this.hooks = List.copyOf(hooks);
        for (String h : this.hooks) {
            HookPoints.check(model.config(), h);
            if (HookName.isAttentionMap(h)) throw new IllegalArgumentException("hook '" + h + "' is an attention map; sample per-position hooks");
        }
        if (policy != null && publisher != null && this.hooks.isEmpty()) throw new IllegalArgumentException("sampling needs at least one hook");
        this.publisher = publisher;
        this.encoder = encoder == null ? new ActivationEncoder() : encoder;
        this.nodeId = nodeId;
        this.tokenText = tokenText;
    }

    /** The default hook: the residual stream after block 1 (or the only block), where the demo's SAE is trained. */
    public static String defaultHook(HookedTransformer m) {
        return "blocks." + Math.min(1, m.config().nLayers() - 1) + ".hook_resid_post";
    }

    /** The model id from a checkpoint path: the file or directory name without a {@code .bin} extension. */
    public static String modelIdOf(Path model) {
        String n = model.toAbsolutePath().normalize().getFileName().toString();
        return n.endsWith(".bin") ? n.substring(0, n.length() - 4) : n;
    }

    /**
     * Publishes these sampled {@code blocks.L.attn.hook_z} hooks (each must be among the node's hooks)
     * for the circuit detector: at the prompt's last position only, and as each head's output
     * z_h W_O[h] of shape [n_heads, d_model] ({@link HeadOutputs}), the rows the circuit SAE encodes.
     */
    public InferenceNode withCircuitHooks(Set<String> hookZ) {
        for (String h : hookZ) {
            if (!HookName.parse(h).map(n -> n.is("attn.hook_z")).orElse(false)) throw new IllegalArgumentException("circuit hook '" + h + "' is not a blocks.L.attn.hook_z hook");
            if (!hooks.contains(h)) throw new IllegalArgumentException("circuit hook '" + h + "' is not sampled by this node (hooks " + hooks + ")");
        }
        if (!hookZ.isEmpty() && headOutputs == null) headOutputs = new HeadOutputs(model);
        circuitHooks = Set.copyOf(hookZ);
        return this;
    }

    public String modelId() { return modelId; }
    public HookedTransformer model() { return model; }
    public String nodeId() { return nodeId; }
    public List<String> hooks() { return hooks; }
    public SamplingPolicy policy() { return policy; }

    /** The lock generations hold; other users of the same model (a trainer, an explainer) take it too. */
    public Lock modelLock() { return generation; }


    /** One generated choice. */
    public record Choice(String text, int index, String finishReason, int promptTokens, int completionTokens, boolean sampled) {}

    /**
     * Generates one choice per prompt.
     *
     * @param requestId the id samples carry (a client's X-Request-Id, or generated); prompt i of a
     *                  multi-prompt request gets {@code requestId + "-" + i}
     * @param scenario  free-form traffic tag copied into the samples' metadata, or null
     */
    public List<Choice> complete(CompletionRequest req, String requestId, String scenario) {
        List<Choice> out = new ArrayList<>(req.prompts().size());
        for (int i = 0; i < req.prompts().size(); i++) {
            String id = req.prompts().size() == 1 ? requestId : requestId + "-" + i;
            out.add(completeOne(req, i, id, scenario));
        }
        return out;
    }

    private Choice completeOne(CompletionRequest req, int index, String requestId, String scenario) {
        requests.incrementAndGet();
        String prompt = req.prompts().get(index);
        int[] tokens = model.toTokens(prompt);
        int nCtx = model.config().nCtx();
        if (tokens.length > nCtx) {
            throw new CompletionRequest.Invalid("prompt", "the prompt has " + tokens.length + " tokens; this model's context is " + nCtx);
        }
        long seed = req.seed() != null ? req.seed() + index : seeds.getAndIncrement();
        GenerationConfig cfg = req.temperature() == 0 ? GenerationConfig.greedy(req.maxTokens())
                : GenerationConfig.sampling(req.maxTokens(), req.temperature(), req.topK(), req.topP(), seed);
        boolean sample = policy != null && publisher != null && policy.sampleRequest();
        SampleCapture capture = null;
        Hooks h = Hooks.create();
        if (sample) {
            capture = new SampleCapture(policy.positionPolicy(), policy.k(), seed ^ 0x5DEECE66DL);
            capture.install(h, hooks, circuitHooks);
        }
        GenerationResult g;
        generation.lock();
        try {
            g = Generator.generate(model, tokens, cfg, h);
        } finally {
            generation.unlock();
        }
        int made = g.tokens().length - g.promptLength();
        String text = g.text() == null ? "" : g.text();
        String finish = made >= req.maxTokens() || g.tokens().length >= nCtx ? "length" : "stop";
        int cut = -1;
        for (String s : req.stop()) {
            int at = text.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) {
            text = text.substring(0, cut);
            finish = "stop";
        }
        if (req.echo()) text = prompt + text;
        if (sample) {
            long t0 = System.nanoTime();
            sampled.incrementAndGet();
            publishSample(capture, g, requestId, scenario, cfg);
            captureNanos.add(capture.captureNanos());
            samplingNanos.add(capture.captureNanos() + System.nanoTime() - t0);
        }
        return new Choice(text, index, finish, g.promptLength(), made, sample);
    }

    private void publishSample(SampleCapture capture, GenerationResult g, String requestId, String scenario, GenerationConfig cfg) {
        // Positions with activations: every token that went through a forward pass (all but the last generated one).
        int valid = g.tokens().length - (g.tokens().length > g.promptLength() ? 1 : 0);
        List<SampleCapture.Row> rows = capture.rows(valid);
        if (rows.isEmpty()) return;
        List<Activation> acts = new ArrayList<>(rows.size());
        Set<String> ch = circuitHooks;
        for (SampleCapture.Row r : rows) {
            if (ch.contains(r.hook())) {
                HeadOutputs ho = headOutputs;
                // Published under TransformerLens's name for per-head outputs z_h W_O[h]: hook_result.
                acts.add(encoder.encode(HeadOutputs.resultHookOf(r.hook()), r.position(), new int[] {ho.heads(), ho.dModel()},
                        ho.project(HeadOutputs.layerOf(r.hook()), r.values())));
            } else {
                acts.add(encoder.encode(r.hook(), r.position(), r.shape(), r.values()));
            }
        }
        List<Integer> ids = new ArrayList<>(g.tokens().length);
        for (int t : g.tokens()) ids.add(t);
        List<String> strings = null;
        if (tokenText) {
            strings = new ArrayList<>(ids.size());
            for (int t : g.tokens()) strings.add(model.tokenizer().tokenString(t));
        }
        SamplingMetadata meta = SamplingMetadata.newBuilder()
                .setSampleRate(policy.sampleRate())
                .setPositionPolicy(policy.positionPolicy().wireName())
                .setTemperature((double) cfg.temperature())
                .setTopK(cfg.topK())
                .setTopP((double) cfg.topP())
                .setSeed(cfg.temperature() == 0 ? null : cfg.seed())
                .setScenario(scenario)
                .build();
        HiddenStateSample s = HiddenStateSample.newBuilder()
                .setModelId(modelId)
                .setModelVersion(model.versionHash())
                .setNodeId(nodeId)
                .setRequestId(requestId)
                .setTimestampMs(Instant.now())
                .setTokenIds(ids)
                .setTokenText(strings)
                .setSampling(meta)
                .setActivations(acts)
                .build();
        if (publisher.publish(s)) enqueued.incrementAndGet();
        else notEnqueued.incrementAndGet();
    }

    /**
     * Nanoseconds sampled requests spent on sampling on the request thread: the capture hooks inside
     * generation plus building and enqueueing the sample (serialization is on the publisher's thread,
     * see {@link HiddenStatePublisher#senderCpuNanos()}).
     */
    public long samplingNanos() { return samplingNanos.sum(); }

    /** The part of {@link #samplingNanos()} spent in the capture hooks during generation. */
    public long captureNanos() { return captureNanos.sum(); }

    /** Counters for /health and the demo. */
    public record Stats(long requests, long sampled, long enqueued, long notEnqueued, long published, long dropped, long failed) {}

    public Stats stats() {
        return new Stats(requests.get(), sampled.get(), enqueued.get(), notEnqueued.get(),
                publisher == null ? 0 : publisher.published(), publisher == null ? 0 : publisher.dropped(),
                publisher == null ? 0 : publisher.failed());
    }

    /** Waits until queued samples are acknowledged or failed (false on timeout); true without a publisher. */
    public boolean publisherFlush(Duration timeout) throws InterruptedException {
        return publisher == null || publisher.flush(timeout);
    }

    /** Closes the publisher (flushing what is queued); the model belongs to the caller. */
    @Override
    public void close() {
        if (publisher != null) publisher.close();
    }
}
