"""Configuration as data: benchmark definitions (YAML), the families' typed protocol
options, and the named conventions of the reference toolkits."""
