"""FEAST: online feature extraction with adaptive selection thresholds (Afshar et al., Sensors 2020)."""
