"""``python -m badgeflow.cli``: the same as the ``badgeflow`` command."""

from badgeflow.cli import main

main()
