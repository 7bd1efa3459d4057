"""The embedded default's sample: generated source databases, the demo command and Azurite."""
