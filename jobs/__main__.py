"""`python -m jobs` runs the clock, as `partnerbot clock` does."""

from bot.__main__ import main

if __name__ == "__main__":
    main(["clock"])
