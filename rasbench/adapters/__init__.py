"""Adapters between rasbench trackers and other toolkits' tracker classes."""
