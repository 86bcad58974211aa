"""`python -m sim`: the main job. The command line lives in `runs.cli`, apart from the model."""

from runs.cli import main

if __name__ == "__main__":
    main()
