"""The seated body: anthropometry, landmarks, back shape, tissue and pain thresholds."""
