package io.latentwatch.cli.demo;

import io.latentwatch.cli.traffic.PromptMix;
import io.latentwatch.interp.calibrate.DetectorThresholds;
import io.latentwatch.interp.model.HookedTransformer;
import io.latentwatch.interp.sae.SaeConfig;
import io.latentwatch.interp.sae.SaeTrainingOptions;
import io.latentwatch.node.InferenceNode;
import io.latentwatch.common.ArtifactStore;
import io.latentwatch.trainer.CircuitRefit;
import io.latentwatch.trainer.HookedTransformerActivationModel;
import io.latentwatch.trainer.QualityGates;
import io.latentwatch.trainer.SaeRefit;
import io.latentwatch.trainer.SaeTrainJob;
import io.latentwatch.interp.sae.TrainingMethod;
import io.latentwatch.trainer.VersionPublisher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's trainer: the trainer's own refits ({@link SaeRefit} for the residual SAE, {@link CircuitRefit} for the
 * circuit signature), fed with text shaped like the node's normal traffic instead of the examples topic, on the
 * node's model (one copy of the weights, forward passes under the node's lock).
 */
public final class DemoTrainer {
    /** Looser than the defaults: a few hundred steps on a tiny model; a refit must still not be worse than what is in force. */
    static final QualityGates GATES = new QualityGates(0.5, 1, 64, 0.9, 0.5, -0.05, 0.02);
    /** L0 coefficient of --sae-architecture jumprelu: `train sae`'s default, on inputs normalised to E||x|| = sqrt(d_in). */
    static final float JUMPRELU_L0 = 0.05f;

    private final DemoOptions o;
    private final HookedTransformer model;
    private final InferenceNode node;
    private final HookedTransformerActivationModel am;
    private final ArtifactStore store;
    private final VersionPublisher versions;
    private final PromptMix.Domain domain;
    private final SaeTrainJob.Calibration calibration;

    /**
     * @param saeHooks hooks the demo watches with an SAE (the residual, and the circuit hook when circuits are on): each
     *                 gets an equal share of the 1% per-detector false-alarm budget (Bonferroni), so that a detector that
     *                 reads both still flags about 1% of normal requests
     */
    public DemoTrainer(DemoOptions o, InferenceNode node, String modelId, ArtifactStore store, VersionPublisher versions,
                       PromptMix.Domain domain, int saeHooks) {
        this.o = o;
        this.model = node.model();
        this.node = node;
        this.am = new HookedTransformerActivationModel(model, modelId, node.modelLock(), false);
        this.store = store;
        this.versions = versions;
        this.domain = domain;
        // The node samples 4 random positions per request (random-k), or the last one.
        int k = "last".equals(o.positions()) ? 1 : 4;
        this.calibration = new SaeTrainJob.Calibration(DetectorThresholds.DEFAULT_RATE / Math.max(1, saeHooks), k);
    }

    public HookedTransformerActivationModel activationModel() { return am; }

    /** One SAE fit for {@code hook} on fresh in-domain prompts, judged by the quality gates, published as an SaeVersion. */
    public SaeRefit.Result refitSae(String hook, long seed) throws Exception {
        int d = am.dModel();
        int dSae = Math.min(4096, 8 * d);
        // BatchTopK trains with the TopK config (k per row on average) and is saved as JumpReLU; JumpReLU learns its thresholds.
        SaeConfig cfg = o.saeMethod() == TrainingMethod.JUMPRELU ? SaeConfig.jumpRelu(d, dSae, hook, am.modelId())
                : SaeConfig.topk(d, dSae, Math.max(4, Math.min(32, d / 8)), hook, am.modelId());
        SaeTrainingOptions opt = SaeTrainingOptions.defaults().withSteps(o.saeSteps()).withBatchSize(256).withSeed(seed)
                .withEvalEvery(Math.max(1, o.saeSteps() / 5)).withProgressBar(false);
        if (o.saeMethod() == TrainingMethod.JUMPRELU) opt = opt.withL1(JUMPRELU_L0);
        // Texts shaped like the node's normal traffic (DemoCorpus says why); a quarter held out for the baseline.
        List<String> prompts = DemoCorpus.reference(am, new PromptMix(domain, seed * 7919), 1000, o.maxTokens(), 0.8f, seed);
        BatchedActivations acts = BatchedActivations.compute(model, hook, prompts, 64, node.modelLock());
        SaeTrainJob job = SaeTrainJob.of(cfg, opt, acts::source).withMethod(o.saeMethod())
                .withBuffers(4_096, 1_024, 512).withValidation(DemoCorpus.VALIDATION_SHARE, 8_192).withDecoderLogits(am.decoderLogits())
                .withCalibration(calibration);
        return new SaeRefit(am.modelId(), job, store, GATES, versions).call();
    }

    /**
     * The circuit signature (O'Neill & Bui 2024) of {@code --circuit-task} from the model's circuits.json, over the heads
     * of {@code layer}, with a baseline of in-domain prompts.
     */
    public CircuitRefit.Outcome refitCircuit(Path circuitsJson, int layer) throws Exception {
        PromptMix bm = new PromptMix(domain, o.seed() * 31 + 5);
        List<String> baseline = new ArrayList<>();
        // 2000 to fit and calibrate on (as before), 2000 held out to measure the circuit detector's false alarms (CircuitRefit).
        for (int i = 0; i < 4000; i++) baseline.add(bm.normal().text());
        // The hook's OOD detectors take their share of the split budget; the circuit detector is one detector on one
        // hook and gets the default target whole.
        return new CircuitRefit(model, node.modelLock(), store, versions, CircuitRefit.DEFAULT_GATES)
                .run(CircuitRefit.fromCircuitsJson(circuitsJson, am.modelId(), o.circuitTask(), layer, baseline, o.seed())
                        .withFalseAlarmRate(calibration.falseAlarmRate()).withCircuitFalseAlarmRate(DetectorThresholds.DEFAULT_RATE));
    }
}
