/**
 * SAE circuit discovery (O'Neill &amp; Bui 2024): per-head SAE codes of task prompts, code tables and head
 * signatures, scoring against ground truth (ROC-AUC), attention-pattern head scores and the circuit report.
 */
package io.latentwatch.interp.circuits;
