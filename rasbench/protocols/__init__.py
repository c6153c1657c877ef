"""Evaluation protocols: where runs start and how they are initialised.

Protocol logic lives here and in the runner, never in a tracker.
"""
