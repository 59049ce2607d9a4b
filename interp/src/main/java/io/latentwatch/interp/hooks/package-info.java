/**
 * TransformerLens hook points: {@code HookName} (the one parser and classifier of hook names), {@code HookPoints}
 * (the names a model fires), per-call hook functions ({@code Hooks}, {@code HookFn}, {@code HookContext}, {@code
 * Selection}: ablation, patching, steering) and the {@code ActivationCache}.
 */
package io.latentwatch.interp.hooks;
