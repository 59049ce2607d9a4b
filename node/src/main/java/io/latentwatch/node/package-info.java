/** The reference inference node: generation on a real checkpoint with hooks captured, OpenAI-style HTTP, sample publishing. */
package io.latentwatch.node;
