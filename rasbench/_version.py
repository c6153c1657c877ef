"""The toolkit's version: every module takes it from here, so importing it never loads the API."""
__version__ = "0.1.0"
