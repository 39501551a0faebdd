"""The assistant: conversations (slot prompts, confirmation, follow-ups) and running actions, the
same way for typed text and for speech (no Qt)."""
