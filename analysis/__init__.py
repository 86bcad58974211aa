"""Results of experiment sweeps: a tidy dataset, statistics, figures, a report, sensitivity."""
