"""Active dendrites after Ahmad & Hawkins 2016 (arXiv 1601.00720): sparse-representation theory and Brian2 pattern detectors."""
