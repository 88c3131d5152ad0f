"""Command-line interface: argument parsing, progress bars, errors mapped to exit codes."""
