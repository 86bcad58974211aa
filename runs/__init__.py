"""Running the model: the command line, Hydra configuration, the run driver, storage on disk."""
