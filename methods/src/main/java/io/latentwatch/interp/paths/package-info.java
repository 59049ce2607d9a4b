/**
 * Path patching (Wang et al. 2023; Goldowsky-Dill et al. 2023): components and ports, hypotheses as paths, the
 * scalar component math over cached runs, bootstrap intervals, task files and the HTML/PNG reports.
 */
package io.latentwatch.interp.paths;
