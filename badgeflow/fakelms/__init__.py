"""Fake LMS servers speaking real wire formats on loopback, for tests and the demo.

Import the servers from their modules (``badgeflow.fakelms.moodle``), so that
``python -m badgeflow.fakelms.moodle`` runs without importing itself twice.
"""
