package io.latentwatch.interp.sae;

/**
 * Where an activation row came from: the token's text, a short window of the text around it
 * (the token itself marked with ⟦ ⟧), and its prompt index and absolute position (-1 when unknown).
 */
public record TokenContext(String token, String context, int prompt, int position) {}
