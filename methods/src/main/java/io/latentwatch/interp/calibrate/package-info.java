/**
 * Detector thresholds with a meaning: each one chosen on reference (normal) traffic so that a stated share of normal
 * <em>requests</em> (not samples) would raise that detector's alert ({@link io.latentwatch.interp.calibrate.FalseAlarmCalibration};
 * per detector of an SAE version, {@link io.latentwatch.interp.calibrate.ThresholdCalibration}),
 * and the file that ships them with an SAE version ({@link io.latentwatch.interp.calibrate.DetectorThresholds},
 * {@code latentwatch_thresholds.json}). Pure math and files: no Kafka.
 */
package io.latentwatch.interp.calibrate;
