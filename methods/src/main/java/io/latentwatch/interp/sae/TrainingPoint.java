package io.latentwatch.interp.sae;

/**
 * One row of the training log. Training-batch values (loss terms, L0, dead and dense fractions
 * from the running tracker) every logged step; validation MSE/FVU/L0 when evaluated (NaN otherwise).
 */
public record TrainingPoint(int step, long tokens, double lr, double loss, double mse, double sparsityLoss, double auxLoss,
                            double trainFvu, double l0, double deadFraction, double denseFraction,
                            double valMse, double valFvu, double valL0) {}
