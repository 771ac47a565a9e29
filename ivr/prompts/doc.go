// Package prompts ships Hotline's default IVR prompts: the texts per language
// (<lang>.tsv, prompt id TAB text) that the chat channel shows, and the audio
// (<lang>/<id>.wav, 8 kHz mono G.711 μ-law) that generate.sh makes from those
// same texts with espeak-ng and sox. The ivr package loads them as the base
// catalog that a flow directory's own prompts/ may extend or override.
package prompts
