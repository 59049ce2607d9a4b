package io.latentwatch.interp.sae;

import java.util.Locale;

/**
 * How {@link SaeTraining} makes latents sparse, and which architecture the saved SAE has.
 * <ul>
 *   <li>{@link #RELU}: ReLU + decoder-norm-weighted L1 (Anthropic, April 2024); saved "standard".</li>
 *   <li>{@link #TOPK}: the k largest per token (Gao et al. 2024) + AuxK; saved "topk".</li>
 *   <li>{@link #BATCH_TOPK}: the B·k largest over the whole batch (Bussmann et al. 2024, arXiv 2412.06410)
 *       + AuxK, with a global threshold learned as SAELens does (an exponential moving average, rate 0.01,
 *       of the smallest selected activation); saved "jumprelu" with that threshold for every latent,
 *       as SAELens saves BatchTopK SAEs for inference.</li>
 *   <li>{@link #JUMPRELU}: per-latent thresholds trained with a straight-through estimator
 *       (Rajamanoharan et al. 2024, arXiv 2407.14435: rectangle kernel, bandwidth 0.05) and an L0
 *       penalty ("step" mode in SAELens); saved "jumprelu".</li>
 * </ul>
 * TopK, BatchTopK and JumpReLU keep decoder rows at unit norm during training.
 */
public enum TrainingMethod {
    RELU(SaeConfig.STANDARD), TOPK(SaeConfig.TOPK), BATCH_TOPK(SaeConfig.JUMPRELU), JUMPRELU(SaeConfig.JUMPRELU);

    /** SAELens's JumpReLU defaults: initial threshold and the STE kernel's bandwidth (on inputs scaled to E||x|| = √d_in). */
    public static final float JUMPRELU_INIT_THRESHOLD = 0.01f;
    public static final float JUMPRELU_BANDWIDTH = 0.05f;
    /** SAELens's BatchTopK threshold learning rate. */
    public static final float BATCH_TOPK_THRESHOLD_LR = 0.01f;

    private final String savedArchitecture;

    TrainingMethod(String savedArchitecture) { this.savedArchitecture = savedArchitecture; }

    /** The architecture of the SAE this method saves. */
    public String savedArchitecture() { return savedArchitecture; }

    /** Whether decoder rows are kept at unit norm while training. */
    boolean unitDecoder() { return this != RELU; }

    /** Whether the AuxK loss revives dead latents. */
    boolean auxK() { return this == TOPK || this == BATCH_TOPK; }

    /** The method for a CLI name: relu (or standard), topk, batchtopk, jumprelu. */
    public static TrainingMethod of(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "")) {
            case "relu", "standard" -> RELU;
            case "topk" -> TOPK;
            case "batchtopk" -> BATCH_TOPK;
            case "jumprelu" -> JUMPRELU;
            default -> throw new IllegalArgumentException("architecture must be relu, topk, batchtopk or jumprelu, got '" + name + "'");
        };
    }

    /** The method that trains an SAE of {@code cfg}'s architecture (BatchTopK is asked for explicitly). */
    static TrainingMethod forConfig(SaeConfig cfg) {
        return forArchitecture(cfg.architecture());
    }

    /** The method that trains an SAE of this (SAELens) architecture; BatchTopK is asked for explicitly. */
    public static TrainingMethod forArchitecture(String architecture) {
        return switch (architecture) {
            case SaeConfig.STANDARD -> RELU;
            case SaeConfig.TOPK -> TOPK;
            case SaeConfig.JUMPRELU -> JUMPRELU;
            default -> throw new IllegalArgumentException("latentwatch does not train " + architecture + " SAEs");
        };
    }
}
