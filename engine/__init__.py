"""ctengine's domain core: decides every state change, deadline and message."""
