"""Actions: what Lingyin does on the user's computer, one module per domain (never imports asr/)."""
